"""Recompute the stored pinyin keys of persons whose name reads otherwise once normalised
(traditional characters such as 單 read as the surname 单 shan, a space before a compound
surname, full-width letters). Only rows whose keys change are written."""

from django.db import migrations


def rekey(apps, schema_editor):
    from renkou.registry.names import name_search_keys

    person = apps.get_model("registry", "Person")
    batch = []
    rows = person.objects.only("id", "name", "name_pinyin", "name_initials")
    for row in rows.iterator(chunk_size=5000):
        keys = name_search_keys(row.name)
        if keys != (row.name_pinyin, row.name_initials):
            row.name_pinyin, row.name_initials = keys
            batch.append(row)
        if len(batch) == 5000:
            person.objects.bulk_update(batch, ["name_pinyin", "name_initials"])
            batch = []
    person.objects.bulk_update(batch, ["name_pinyin", "name_initials"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_event_replaces")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
