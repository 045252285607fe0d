"""A small interpreter of the Amazon States Language the AWS target generates.

It walks a definition as Step Functions would: Pass (Parameters, Result, ResultPath,
OutputPath), Parallel (branches run one after another here), Choice (StringEquals,
IsPresent, And), Task (ResultSelector, ResultPath, OutputPath, Catch, through a callback;
``states:startExecution.sync:2`` walks the nested machine's definition, from ``machines``,
in an execution of its own), Fail (CausePath) and Succeed;
JSONPath as far as the generated definitions use it (``$.a.b[0]``, ``$$.Execution.Name``,
``$..key``) and the intrinsics ``States.Format`` and ``States.JsonToString``.
Anything else raises, so a definition using more cannot pass unnoticed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: (state name, resource, parameters) -> raises `TaskFailed` on failure.
Invoke = Callable[[str, str, dict[str, Any]], None]


class TaskFailed(Exception):
    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.cause = cause


@dataclass
class Execution:
    status: str = "RUNNING"
    error: str | None = None
    cause: str | None = None
    output: Any = None
    tasks_run: list[str] = field(default_factory=list)
    #: Every state entered, nested executions' included, in order.
    visited: list[str] = field(default_factory=list)
    #: Names of the nested executions started.
    nested: list[str] = field(default_factory=list)


class Interpreter:
    def __init__(
        self,
        definition: dict[str, Any],
        invoke: Invoke,
        name: str,
        input_: Any,
        machines: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.definition = definition
        self.invoke = invoke
        self.context = {"Execution": {"Name": name, "Input": input_}}
        self.execution = Execution()
        self.machines = machines or {}

    def run(self) -> Execution:
        self.execution.output = self._machine(
            self.definition, copy.deepcopy(self.context["Execution"]["Input"])
        )
        if self.execution.status == "RUNNING":
            self.execution.status = "SUCCEEDED"
        return self.execution

    def _machine(self, machine: dict[str, Any], data: Any) -> Any:
        name = machine["StartAt"]
        while True:
            state = machine["States"][name]
            self.execution.visited.append(name)
            kind = state["Type"]
            if kind == "Pass":
                result = (
                    self._parameters(state, data)
                    if "Parameters" in state
                    else state.get("Result", data)
                )
                data = _put(data, state.get("ResultPath", "$"), result)
                if "OutputPath" in state:
                    data = _get(data, state["OutputPath"])
            elif kind == "Parallel":
                results = [
                    self._machine(branch, copy.deepcopy(data)) for branch in state["Branches"]
                ]
                data = _put(data, state.get("ResultPath", "$"), results)
            elif kind == "Choice":
                name = next(
                    (c["Next"] for c in state["Choices"] if self._test(c, data)),
                    state.get("Default"),
                )
                assert name is not None, "no choice matched and no default"
                continue
            elif kind == "Task":
                parameters = self._parameters(state, data)
                nested = state["Resource"].endswith(":states:startExecution.sync:2")
                try:
                    if nested:
                        result = self._nested(name, parameters)
                    else:
                        self.execution.tasks_run.append(name)
                        self.invoke(name, state["Resource"], parameters)
                except TaskFailed as failure:
                    catcher = next(
                        c
                        for c in state["Catch"]
                        if "States.ALL" in c["ErrorEquals"] or failure.error in c["ErrorEquals"]
                    )
                    error = {"Error": failure.error, "Cause": failure.cause}
                    data = _put(data, catcher.get("ResultPath", "$"), error)
                    name = catcher["Next"]
                    continue
                if nested:
                    if "ResultSelector" in state:
                        result = self._template(state["ResultSelector"], result)
                    data = _put(data, state["ResultPath"], result)
                else:
                    assert state["ResultPath"] is None, f"{name}: task output must not enter"
                if "OutputPath" in state:
                    data = _get(data, state["OutputPath"])
            elif kind == "Fail":
                self.execution.status = "FAILED"
                self.execution.error = state.get("Error")
                self.execution.cause = (
                    _get(data, state["CausePath"]) if "CausePath" in state else state.get("Cause")
                )
                return data
            elif kind == "Succeed":
                return data
            else:
                raise NotImplementedError(kind)
            if state.get("End"):
                return data
            name = state["Next"]

    def _nested(self, name: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """Run a nested machine to its end, as ``startExecution.sync:2`` waits for it."""
        arn = parameters["StateMachineArn"]
        execution_name = f"{self.context['Execution']['Name']}-{len(self.execution.nested)}"
        self.execution.nested.append(execution_name)
        inner = Interpreter(
            self.machines[arn], self.invoke, execution_name, parameters["Input"], self.machines
        )
        inner.execution = Execution(
            tasks_run=self.execution.tasks_run,
            visited=self.execution.visited,
            nested=self.execution.nested,
        )
        finished = inner.run()
        if finished.status != "SUCCEEDED":
            raise TaskFailed("States.TaskFailed", f"{name}: {finished.error}")
        return {"ExecutionArn": f"{arn}:{execution_name}", "Output": finished.output}

    def _parameters(self, state: dict[str, Any], data: Any) -> Any:
        return self._template(state["Parameters"], data)

    def _template(self, template: Any, data: Any) -> Any:
        if isinstance(template, dict):
            result = {}
            for key, value in template.items():
                if key.endswith(".$"):
                    result[key[:-2]] = self._expression(value, data)
                else:
                    result[key] = self._template(value, data)
            return result
        if isinstance(template, list):
            return [self._template(v, data) for v in template]
        return template

    def _expression(self, text: str, data: Any) -> Any:
        if text.startswith("$$."):
            return _get(self.context, "$." + text[3:])
        if text.startswith("$"):
            return _get(data, text)
        match = re.fullmatch(r"States\.(\w+)\((.*)\)", text, re.S)
        if match is None:
            raise NotImplementedError(text)
        function, arguments = match.groups()
        values = [self._argument(a.strip(), data) for a in _split_arguments(arguments)]
        if function == "Format":
            template, *rest = values
            parts = template.split("{}")
            return "".join(p + (str(rest[i]) if i < len(rest) else "") for i, p in enumerate(parts))
        if function == "JsonToString":
            return json.dumps(values[0], separators=(",", ":"))
        raise NotImplementedError(function)

    def _argument(self, text: str, data: Any) -> Any:
        if text.startswith("'"):
            return text[1:-1].replace("\\'", "'")
        return self._expression(text, data)

    def _test(self, rule: dict[str, Any], data: Any) -> bool:
        if "And" in rule:
            return all(self._test(r, data) for r in rule["And"])
        if "Or" in rule:
            return any(self._test(r, data) for r in rule["Or"])
        if "IsPresent" in rule:
            return _present(data, rule["Variable"]) == rule["IsPresent"]
        if "StringEquals" in rule:
            return (
                _present(data, rule["Variable"])
                and _get(data, rule["Variable"]) == rule["StringEquals"]
            )
        raise NotImplementedError(rule)


def _split_arguments(text: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for char in text:
        if char == "'" and not current.endswith("\\"):
            quoted = not quoted
        if not quoted:
            depth += char == "("
            depth -= char == ")"
            if char == "," and depth == 0:
                parts.append(current)
                current = ""
                continue
        current += char
    parts.append(current)
    return parts


def _steps(path: str) -> list[str | int]:
    assert path.startswith("$"), path
    steps: list[str | int] = []
    for name, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path[1:]):
        steps.append(int(index) if index else name)
    return steps


def _get(data: Any, path: str) -> Any:
    if path.startswith("$.."):
        key = path[3:]
        found: list[Any] = []

        def scan(value: Any) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    if k == key:
                        found.append(v)
                    scan(v)
            elif isinstance(value, list):
                for v in value:
                    scan(v)

        scan(data)
        return found
    for step in _steps(path):
        data = data[step]
    return data


def _present(data: Any, path: str) -> bool:
    try:
        _get(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _put(data: Any, path: str | None, value: Any) -> Any:
    if path is None:
        return data
    steps = _steps(path)
    if not steps:
        return value
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    target = data
    for step in steps[:-1]:
        target = target.setdefault(step, {})
    target[steps[-1]] = value
    return data
