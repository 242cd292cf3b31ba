# Read by the flask command (through python-dotenv): which app it runs.
FLASK_APP=app
