"""The core imports neither Flask nor Twilio: adapters translate, the core decides."""

from __future__ import annotations

import subprocess
import sys

CORE = ["app.content", "app.engine", "app.texting", "app.checks", "app.preview", "app.gsm", "app.speech", "app.explore",
        "app.store", "app.reply_limit", "app.hearing", "app.turns", "app.wording", "app.node", "app.limits",
        "app.caller", "app.pace", "app.memory", "app.outbox", "app.learned", "app.usage_report"]
ADAPTER_PACKAGES = {"flask", "twilio", "werkzeug", "click"}


def test_core_modules_load_no_web_or_twilio_package():
    code = (f"import sys; import {', '.join(CORE)}; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout.split())
    assert not loaded & ADAPTER_PACKAGES, loaded & ADAPTER_PACKAGES
