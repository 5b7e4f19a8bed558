"""The chain's head row, and triggers that make the event table append-only.

The triggers stop the application, or anyone using its database account by
mistake, from editing or deleting events. Someone who can drop triggers can
still tamper; ``lifebuoy check-audit`` is what detects that.
"""

from typing import Any

from django.db import migrations

GENESIS = "0" * 64

_SQLITE = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]
_POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE
       ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]
_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def create_head(apps: Any, schema_editor: Any) -> None:
    apps.get_model("audit", "AuditHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": _SQLITE, "postgresql": _POSTGRES}),
            _run({"sqlite": _SQLITE_DROP, "postgresql": _POSTGRES_DROP}),
        ),
    ]
