from django.core.management.base import BaseCommand, CommandError

from grassroots.casework.categories import category_catalogue_load
from grassroots.common.errors import ValidationFailed


class Command(BaseCommand):
    help = (
        "Load the three-level category catalogue (一级分类,二级分类,三级分类) idempotently: existing categories "
        "are kept, new ones added. Default: the shared gov_category_taxonomy.csv, read where it is, or the "
        "built-in catalogue when the shared data is not there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", dest="path", help="a UTF-8 CSV with the columns 一级分类,二级分类,三级分类"
        )

    def handle(self, *args, path=None, **options):
        try:
            report = category_catalogue_load(actor=None, path=path)
        except ValidationFailed as error:
            raise CommandError("; ".join(e.message for e in error.errors) or str(error.message)) from None
        self.stdout.write(
            f"{report.source}: {report.created} categories added, {report.reactivated} reactivated, "
            f"{report.unchanged} already there"
        )
