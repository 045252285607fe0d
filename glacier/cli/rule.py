"""`glacier rule`: print a rule's documentation (``glacier rule GLC002``, ``--all``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from glacier.cli.exit_codes import ExitCode
from glacier.rules import RULES, Rule, get_rule

HELP = "explain a rule: glacier rule GLC002 (or missing-producer), or --all"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", nargs="?", metavar="RULE", help="a code (GLC002) or name")
    parser.add_argument("--all", action="store_true", help="every rule")
    parser.add_argument("--output-format", choices=("text", "json"), default="text")


def rule_text(rule: Rule) -> str:
    """``# missing-producer (GLC002)`` followed by the rule's documentation."""
    return f"# {rule.name} ({rule.code})\n\n{rule.doc}\n"


def rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "summary": rule.summary,
        "message_format": rule.message,
        "explanation": rule.doc,
        "url": rule.url,
    }


def run(args: argparse.Namespace) -> ExitCode:
    if args.all:
        rules: tuple[Rule, ...] = RULES
    elif args.rule:
        try:
            rules = (get_rule(args.rule),)
        except KeyError:
            print(f"glacier: error: unknown rule `{args.rule}`", file=sys.stderr)
            return ExitCode.ERROR
    else:
        print(
            "glacier: error: name a rule (GLC002, missing-producer) or pass --all", file=sys.stderr
        )
        return ExitCode.ERROR
    if args.output_format == "json":
        data: Any = [rule_json(r) for r in rules] if args.all else rule_json(rules[0])
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(rule_text(r) for r in rules))
    return ExitCode.OK
