"""Print the top suggestions of the trained routing model for one text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from grassroots.routing.model import DEFAULT_MODEL_PATH, RequestText, RoutingModel
from grassroots.routing.models import ModelVersion, Task


class Command(BaseCommand):
    help = "Suggest the category / responsible unit for a request text with the trained routing model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", help="the request's text (Chinese or English)")
        parser.add_argument("--title", default="", help="the request's subject line, when it has one")
        parser.add_argument(
            "--model",
            default=None,
            help=f"model file (default: the active version of --task, else var/{DEFAULT_MODEL_PATH})",
        )
        parser.add_argument("--task", choices=Task.values, default=Task.CATEGORY)
        parser.add_argument("-k", type=int, default=3, help="number of suggestions (default 3)")
        parser.add_argument("--no-rules", action="store_true", help="the model alone, without keyword rules")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["model"]:
            path = Path(options["model"])
        else:
            active = ModelVersion.objects.filter(task=options["task"], is_active=True).first()
            path = Path(active.file_path) if active else Path(settings.VAR_DIR) / DEFAULT_MODEL_PATH
        try:
            model = RoutingModel.load(path)
        except (FileNotFoundError, ValueError) as error:
            raise CommandError(str(error)) from error
        if options["k"] < 1:
            raise CommandError("-k must be at least 1")
        suggestions = model.suggest(
            RequestText(title=options["title"], body=options["text"]),
            options["k"],
            use_rules=not options["no_rules"],
        )
        for rank, suggestion in enumerate(suggestions, start=1):
            rules = f"  (rules: {'; '.join(suggestion.rules)})" if suggestion.rules else ""
            self.stdout.write(f"{rank}. {suggestion.label}  {suggestion.confidence:.2f}{rules}")
