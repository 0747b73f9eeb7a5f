"""Reading ESTATEDESK_* settings: a typo or an impossible value is refused by name, never guessed at."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import SettingsError, from_env


def _refusal(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as e:
        from_env(env)
    return str(e.value)


def test_a_misspelt_switch_is_refused_not_read_as_off():
    # "ture" used to turn the reminder scheduler off without a word.
    msg = _refusal({"ESTATEDESK_RUN_SCHEDULER": "ture"})
    assert "ESTATEDESK_RUN_SCHEDULER" in msg and "ture" in msg
    assert "true" in msg and "false" in msg  # the accepted values are named


@pytest.mark.parametrize("word,value", [("true", True), ("On", True), ("1", True), ("no", False), ("FALSE", False),
                                        ("0", False), (" off ", False)])
def test_switches_accept_the_usual_words_both_ways(word, value):
    assert from_env({"ESTATEDESK_RUN_SCHEDULER": word}).run_scheduler is value
    assert from_env({"ESTATEDESK_LOG_SQL": word}).log_sql is value


@pytest.mark.parametrize("name,bad", [
    ("ESTATEDESK_MAX_BODY_BYTES", "-5"),  # was accepted, then every request answered 413
    ("ESTATEDESK_MAX_BODY_BYTES", "0"),
    ("ESTATEDESK_PORT", "80x0"),  # was a raw ValueError traceback
    ("ESTATEDESK_PORT", "99999"),
    ("ESTATEDESK_PORT", "0"),
    ("ESTATEDESK_TOKEN_IDLE_DAYS", "0"),
    ("ESTATEDESK_SQLITE_MAX_PAGE_COUNT", "-1"),
])
def test_numbers_outside_their_range_are_refused_with_the_range(name, bad):
    msg = _refusal({name: bad})
    assert f"{name}={bad}" in msg
    assert "从" in msg and "from" in msg  # both languages, and the range


def test_every_bad_setting_is_named_at_once():
    msg = _refusal({"ESTATEDESK_PORT": "x", "ESTATEDESK_LOG_SQL": "maybe"})
    assert "ESTATEDESK_PORT" in msg and "ESTATEDESK_LOG_SQL" in msg


@pytest.mark.parametrize("given", ["postgresql://u@db/estate", "postgres://u@db/estate",
                                   "postgresql+asyncpg://u@db/estate"])
def test_a_plain_postgresql_url_means_the_asyncpg_driver(given):
    # The server only ships asyncpg; "postgresql://" used to fail with "No module named psycopg".
    s = from_env({"ESTATEDESK_DATABASE_URL": given})
    assert s.database_url == "postgresql+asyncpg://u@db/estate"
    assert s.dialect == "postgresql"


def test_a_plain_sqlite_url_means_the_aiosqlite_driver(tmp_path):
    s = from_env({"ESTATEDESK_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert s.effective_database_url == f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"


@pytest.mark.parametrize("given", ["postgresql+psycopg://u@db/e", "mysql://u@db/e", "estate.sqlite3"])
def test_a_database_url_of_another_kind_is_refused_with_the_accepted_forms(given):
    msg = _refusal({"ESTATEDESK_DATABASE_URL": given})
    assert "ESTATEDESK_DATABASE_URL" in msg and "postgresql+asyncpg://" in msg and "sqlite+aiosqlite:///" in msg


def test_a_database_url_password_is_not_repeated_in_the_refusal():
    msg = _refusal({"ESTATEDESK_DATABASE_URL": "mysql://u:hunter2@db/e"})
    assert "hunter2" not in msg


def test_an_allowed_hosts_list_with_no_host_is_refused():
    assert "ESTATEDESK_ALLOWED_HOSTS" in _refusal({"ESTATEDESK_ALLOWED_HOSTS": " , "})


def test_good_settings_read_as_before(tmp_path):
    s = from_env({"ESTATEDESK_PORT": "8838", "ESTATEDESK_MAX_BODY_BYTES": "1048576", "ESTATEDESK_DATA_DIR": str(tmp_path),
                  "ESTATEDESK_ALLOWED_HOSTS": "desk.lan, 10.0.0.5", "ESTATEDESK_ACCESS_LOG": "off"})
    assert (s.port, s.max_body_bytes, s.data_dir) == (8838, 1048576, Path(tmp_path))
    assert s.allowed_hosts == ("desk.lan", "10.0.0.5")
    assert s.access_log is False
    assert from_env({}).access_log is True
