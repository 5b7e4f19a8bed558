"""lifebuoy.config: TOML, typed environment overrides, clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifebuoy.config import Config, ConfigError, load


def _write(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "lifebuoy.toml"
    path.write_text(text, encoding="utf-8")
    return {"LIFEBUOY_CONFIG": str(path)}


def test_load_without_file_gives_the_documented_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load({})
    assert config.security == Config().security
    assert config.site.port == 8443
    assert config.database_url == ""


def test_load_reads_every_section_with_its_types(tmp_path: Path) -> None:
    env = _write(
        tmp_path,
        """
        [site]
        port = 9443
        allowed_hosts = ["support.example.com"]
        debug = false
        [security]
        login_max_failures = 3
        password_hash_wait_s = 2
        [gateway]
        urls = ["wss://gw1.example.com", "wss://gw2.example.com"]
        """,
    )
    config = load(env)
    assert config.site.port == 9443
    assert config.site.allowed_hosts == ("support.example.com",)
    assert config.security.login_max_failures == 3
    # An integer where a float is expected is taken as that float.
    assert config.security.password_hash_wait_s == 2.0
    assert isinstance(config.security.password_hash_wait_s, float)
    assert config.gateway_urls == ("wss://gw1.example.com", "wss://gw2.example.com")


def test_environment_overrides_the_file_with_the_field_types(tmp_path: Path) -> None:
    env = _write(tmp_path, "[site]\nport = 9443\n")
    env.update(
        LIFEBUOY_SITE_PORT="10443",
        LIFEBUOY_SITE_DEBUG="yes",
        LIFEBUOY_SITE_ALLOWED_HOSTS="a.example, b.example,",
        LIFEBUOY_SECURITY_PASSWORD_HASH_WAIT_S="0.5",
        LIFEBUOY_GATEWAY_EMBEDDED="0",
        DATABASE_URL="postgres://lb:pw@db.example/lifebuoy",
        REDIS_URL="redis://cache.example:6379/0",
    )
    config = load(env)
    assert config.site.port == 10443
    assert config.site.debug is True
    assert config.site.allowed_hosts == ("a.example", "b.example")
    assert config.security.password_hash_wait_s == 0.5
    assert config.gateway.embedded is False
    assert config.database_url == "postgres://lb:pw@db.example/lifebuoy"
    assert config.redis_url == "redis://cache.example:6379/0"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[sight]\nport = 1\n", "unknown section(s): sight"),
        ("[site]\nprot = 1\n", "[site] has unknown key(s): prot"),
        ('[site]\nport = "9443"\n', "[site] port: expected int"),
        ("[site]\ndebug = 1\n", "[site] debug: expected bool"),
        ("[security]\nlogin_max_failures = true\n", "expected int"),
        ("[security]\npassword_hash_wait_s = true\n", "expected float"),
        ('[site]\nallowed_hosts = "one.example"\n', "expected a list of strings"),
        ("[site]\nallowed_hosts = [1, 2]\n", "expected a list of strings"),
        ('site = "flat"\n', "[site] must be a table"),
        ("[site\n", "not valid TOML"),
    ],
)
def test_load_refuses_a_bad_file_with_a_clear_message(
    tmp_path: Path, toml: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(_write(tmp_path, toml))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LIFEBUOY_SITE_PORT", "eighty"),
        ("LIFEBUOY_SITE_DEBUG", "maybe"),
        ("LIFEBUOY_SECURITY_PASSWORD_HASH_WAIT_S", "soon"),
    ],
)
def test_load_refuses_an_environment_value_of_the_wrong_type(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load({name: value, **_write(tmp_path, "")})
    assert name in str(caught.value)
    assert repr(value) in str(caught.value)


def test_load_refuses_a_named_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="does not exist"):
        load({"LIFEBUOY_CONFIG": str(missing)})


def test_derived_paths_and_urls_follow_the_settings(tmp_path: Path) -> None:
    config = load(
        {
            **_write(tmp_path, ""),
            "LIFEBUOY_SITE_DATA_DIR": str(tmp_path),
            "LIFEBUOY_SITE_HOST": "support.example.com",
        }
    )
    assert config.master_key_file == tmp_path / "secrets" / "master.key"
    assert config.public_url == "https://support.example.com:8443"
    assert config.gateway_urls == ("wss://127.0.0.1:8444",)


def test_database_url_switches_django_to_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataclasses

    from lifebuoy.site import settings as site_settings

    url = "postgres://lifebuoy:secret@db.example:5433/lifebuoy"
    config = dataclasses.replace(site_settings.LIFEBUOY, database_url=url)
    monkeypatch.setattr(site_settings, "LIFEBUOY", config)
    database = site_settings._databases()["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"]) == ("db.example", 5433)
    assert (database["NAME"], database["USER"]) == ("lifebuoy", "lifebuoy")


def test_no_database_url_keeps_sqlite_in_the_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import dataclasses

    from lifebuoy.site import settings as site_settings

    config = dataclasses.replace(site_settings.LIFEBUOY, database_url="")
    monkeypatch.setattr(site_settings, "LIFEBUOY", config)
    monkeypatch.setattr(site_settings, "DATA_DIR", tmp_path)
    database = site_settings._databases()["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == tmp_path / "lifebuoy.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
