import os
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OLD_COMPOSE_KEY = "change-me-to-a-long-random-string-before-any-real-use"
HOW_TO_MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def _manage(*args, **env):
    # Only what a production host would set: none of the suite's own settings, nor
    # test-only switches such as DJANGO_ALLOW_ASYNC_UNSAFE, which the browser tests turn on.
    unset = (
        "DEBUG",
        "SECRET_KEY",
        "HTTPS",
        "ALLOWED_HOSTS",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    )
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_deploy(**env):
    return _manage("check", "--deploy", "--fail-level", "WARNING", **env)


def test_production_settings_pass_the_deployment_checklist_with_only_a_key_and_hosts():
    result = _check_deploy(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="customer-voice.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_key_and_says_how_to_make_one():
    result = _check_deploy(DEBUG="false", ALLOWED_HOSTS="customer-voice.example")
    assert result.returncode != 0
    assert "SECRET_KEY is missing or is a published placeholder" in result.stderr
    assert HOW_TO_MAKE_A_KEY in result.stderr


def test_production_refuses_the_keys_that_were_published():
    for key in (OLD_COMPOSE_KEY, "django-insecure-development-key-do-not-use-in-production"):
        result = _check_deploy(
            DEBUG="false", SECRET_KEY=key, ALLOWED_HOSTS="customer-voice.example"
        )
        assert result.returncode != 0
        assert "SECRET_KEY is missing or is a published placeholder" in result.stderr


def test_turning_https_off_is_explicit_and_the_checklist_says_so():
    result = _check_deploy(
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="customer-voice.example",
    )
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stdout + result.stderr


def test_development_runs_with_debug_on_and_no_key():
    result = _manage("check", DEBUG="true")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_file_has_no_fallback_key_and_says_how_to_make_one():
    compose = (ROOT / "docker-compose.yml").read_text()
    key = yaml.safe_load(compose)["x-app"]["environment"]["SECRET_KEY"]
    assert key.startswith("${SECRET_KEY:?")
    assert OLD_COMPOSE_KEY not in compose
    assert "secrets.token_urlsafe(50)" in key


def test_commands_that_serve_no_one_run_without_a_key_but_the_web_application_refuses():
    assert _manage("makemigrations", "--check", "--dry-run").returncode == 0

    result = _manage("shell", "-c", "import config.wsgi")

    assert result.returncode != 0
    assert "SECRET_KEY is missing or is a published placeholder" in result.stderr
