"""Security basics that a test can hold: no secrets in the repository."""

import re
import subprocess

from tests.helpers import REPO_ROOT

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (RSA |EC |OPENSSH )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"AKIA[0-9A-Z]{16}"),
    "Google API key": re.compile(r"AIza[0-9A-Za-z_-]{35}"),
    "GCP service-account key": re.compile(r'"type":\s*"service_account"'),
    "GitHub token": re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    "assigned password": re.compile(r"(?i)(password|secret|token)\s*=\s*['\"][^'\"]{8,}['\"]"),
}


def test_no_secrets_in_tracked_files():
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert files, "not a git checkout"
    found = []
    for name in files:
        path = REPO_ROOT / name
        if not path.is_file() or path.suffix in (".csv", ".lock"):
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {kind}" for kind, rx in SECRET_PATTERNS.items() if rx.search(text)]
    assert found == []


def test_secret_patterns_do_catch_secrets():
    fake = "-----BEGIN " + "PRIVATE KEY-----\n" + "AKIA" + "A" * 16  # split: not a secret here
    assert SECRET_PATTERNS["private key"].search(fake)
    assert SECRET_PATTERNS["AWS access key"].search(fake)
