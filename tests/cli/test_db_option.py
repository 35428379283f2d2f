"""The operator's ``--db`` option points every command at another store."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from hpi_app import cli, db


def test_db_option_migrates_and_acts_on_the_named_store(tmp_path, capsys):
    target = tmp_path / "elsewhere.db"
    url = f"sqlite:///{target}"
    before = db.get_engine().url.render_as_string(hide_password=False)
    try:
        assert cli.main(["--db", url, "migrate"]) == 0
        assert (
            cli.main(["--db", url, "user", "create", "--email", "ops@example.com", "--password", "x" * 12])
            == 0
        )
    finally:
        db.use_database(before)  # the process's store again, for the tests after this one
    engine = create_engine(url)
    with engine.connect() as conn:
        assert "timeline" in inspect(conn).get_table_names()
        emails = [row[0] for row in conn.exec_driver_sql("SELECT email FROM users")]
    engine.dispose()
    assert emails == ["ops@example.com"]
    assert "Created admin ops@example.com" in capsys.readouterr().err
