# Read by the flask command (through python-dotenv): which app it runs.
FLASK_APP=app
# The flask command is the editors' and developers' tool (flask call, flask text, flask usage):
# development mode unless the environment says otherwise. gunicorn never reads this file, so the
# line served in production still refuses to start without a token.
LINE_ENV=development
