"""Checks a loaded flow as a graph: every target exists, every node is reachable, every
prompt is defined and spoken in every language of the flow, every loop has a way out.

``loader.py`` reports what is wrong with a single value (types, unknown keys, duplicate
digits, bad schedules); this module reports what is wrong between values. Both only
collect problems, so ``hotline ivr validate`` prints all of them in one run.
"""

from __future__ import annotations

import difflib
from datetime import tzinfo
from pathlib import Path

from ivr import flow as f
from ivr.loader import load_flow

BUILTIN_VARIABLES = frozenset({"caller", "called", "language", *(f"arg{i}" for i in range(1, 10))})
#: Nodes that neither wait for the caller nor play anything: a cycle made of them spins forever.
PASS_THROUGH = (f.GotoNode, f.BranchNode, f.LanguageNode)


def validate_file(path: str | Path, *, default_zone: tzinfo, display_name: str | None = None) -> tuple[f.Flow | None, list[f.Problem]]:
    flow, problems = load_flow(path, default_zone=default_zone, display_name=display_name)
    if flow is not None:
        problems.extend(validate(flow))
    return flow, sorted(set(problems), key=lambda p: (p.mark.file != (display_name or str(path)), p.mark.file, p.mark.line, p.mark.column, p.message))


def validate(flow: f.Flow, _seen: set[str] | None = None) -> list[f.Problem]:
    seen = _seen if _seen is not None else set()
    seen.add(flow.path)
    problems: list[f.Problem] = []
    problems.extend(_targets(flow))
    problems.extend(_reachability(flow))
    problems.extend(_prompts(flow))
    problems.extend(_names(flow))
    problems.extend(_loops(flow))
    for node in flow.nodes.values():
        if isinstance(node, f.SubflowNode) and node.flow is not None and node.flow.path not in seen:
            problems.extend(validate(node.flow, seen))
    return problems


def _targets(flow: f.Flow) -> list[f.Problem]:
    problems = []
    if flow.start.target and flow.start.target not in flow.nodes:
        problems.append(f.Problem(flow.start.mark, f"start: no node named {flow.start.target!r}{_near(flow.start.target, flow)}"))
    for node in flow.nodes.values():
        for label, ref in node.targets():
            if ref.target and ref.target not in flow.nodes:
                problems.append(f.Problem(ref.mark, f"{node.type} node {node.id!r} ({label}): no node named {ref.target!r}{_near(ref.target, flow)}"))
    return problems


def _near(name: str, flow: f.Flow) -> str:
    close = difflib.get_close_matches(name, list(flow.nodes), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _edges(flow: f.Flow, node: f.AnyNode) -> list[str]:
    return [ref.target for _, ref in node.targets() if ref.target in flow.nodes]


def _reachability(flow: f.Flow) -> list[f.Problem]:
    if flow.start.target not in flow.nodes:
        return []
    reached = {flow.start.target}
    todo = [flow.start.target]
    while todo:
        for target in _edges(flow, flow.nodes[todo.pop()]):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    return [f.Problem(node.mark, f"{node.type} node {node.id!r} is unreachable: nothing leads to it from start {flow.start.target!r}")
            for node in flow.nodes.values() if node.id not in reached]


def _prompt_lists(node: f.AnyNode) -> list[tuple[str, list[f.PromptUse]]]:
    lists = []
    for attr in ("prompts", "invalid_prompts", "timeout_prompts", "confirm_prompts", "enter_prompts", "done_prompts", "thanks_prompts"):
        if hasattr(node, attr):
            lists.append((attr, getattr(node, attr)))
    return lists


REQUIRED_PROMPTS = {
    "play": ("prompts",), "menu": ("prompts",), "input": ("prompts",), "survey": ("prompts",),
    "callback_request": ("prompts", "confirm_prompts", "enter_prompts"),
}


def _prompts(flow: f.Flow) -> list[f.Problem]:
    problems = []
    for prompt in flow.prompts.values():
        missing = [lang for lang in flow.languages if not prompt.text.get(lang)]
        if missing:
            problems.append(f.Problem(prompt.mark, f"prompt {prompt.id!r} has no text for {', '.join(missing)} (every prompt needs the words it says, for the simulator and for prompt synthesis)"))
    for node in flow.nodes.values():
        lists = dict(_prompt_lists(node))
        for attr in REQUIRED_PROMPTS.get(node.type, ()):
            if not lists.get(attr):
                key = attr.removesuffix("s")
                problems.append(f.Problem(node.mark, f"{node.type} node {node.id!r} has no {key}: the caller would hear nothing"))
        for attr, uses in lists.items():
            for use in uses:
                if use.id not in flow.prompts:
                    problems.append(f.Problem(use.mark, f"{node.type} node {node.id!r}: no prompt named {use.id!r} in prompts"))
    return problems


def _names(flow: f.Flow) -> list[f.Problem]:
    """Schedules, caller lists, variables and languages named by nodes must exist."""
    problems = []
    stored = {n.store for n in flow.nodes.values() if isinstance(n, (f.MenuNode, f.InputNode)) and n.store}
    known_vars = BUILTIN_VARIABLES | stored
    for node in flow.nodes.values():
        if isinstance(node, f.BranchNode):
            for case in node.cases:
                cond = case.condition
                if isinstance(cond, f.ScheduleCondition) and cond.schedule not in flow.schedules:
                    problems.append(f.Problem(cond.mark, f"branch node {node.id!r}: no schedule named {cond.schedule!r}"))
                elif isinstance(cond, f.CallerCondition) and cond.caller_list not in flow.caller_lists:
                    problems.append(f.Problem(cond.mark, f"branch node {node.id!r}: no caller list named {cond.caller_list!r}"))
                elif isinstance(cond, f.VariableCondition) and cond.variable not in known_vars:
                    problems.append(f.Problem(cond.mark, f"branch node {node.id!r}: variable {cond.variable!r} is never set (set one with 'store:' on a menu or input node; built in: caller, called, language, arg1…arg9)"))
        elif isinstance(node, f.CallbackNode) and node.due.schedule and node.due.schedule not in flow.schedules:
            problems.append(f.Problem(node.due.mark, f"callback_request node {node.id!r}: no schedule named {node.due.schedule!r}"))
        elif isinstance(node, f.LanguageNode) and node.language and node.language not in flow.languages:
            problems.append(f.Problem(node.language_mark, f"language node {node.id!r}: {node.language!r} is not one of the flow's languages ({', '.join(flow.languages)})"))
        elif isinstance(node, f.InputNode) and node.kind == "mobile_cn" and node.max_digits < 11:
            problems.append(f.Problem(node.mark, f"input node {node.id!r}: a mobile number has 11 digits but max_digits is {node.max_digits}"))
        elif isinstance(node, f.ReturnNode) and not flow.is_subflow:
            problems.append(f.Problem(node.mark, f"return node {node.id!r}: only a sub-flow ('subflow: true') can return"))
    return problems


def _ends(node: f.AnyNode) -> bool:
    """True when the node can end the IVR part of the call by itself (explicitly, or
    because an optional edge is missing and the call then hangs up)."""
    if node.type in f.TERMINAL_TYPES:
        return True
    if isinstance(node, f.QueueNode):
        # Reaching an agent is the way out of the IVR, even if the caller comes back after.
        return True
    if isinstance(node, (f.MenuNode, f.InputNode)):
        return node.on_failure is None
    if isinstance(node, (f.VoicemailNode, f.SubflowNode)):
        return node.next is None
    if isinstance(node, (f.CallbackNode, f.SurveyNode)):
        return node.next is None or node.on_failure is None
    return False


def _loops(flow: f.Flow) -> list[f.Problem]:
    problems = []
    nodes = flow.nodes
    # 1. Nodes from which no end can be reached: every path loops forever.
    can_end = {name for name, node in nodes.items() if _ends(node)}
    changed = True
    while changed:
        changed = False
        for name, node in nodes.items():
            if name not in can_end and any(t in can_end for t in _edges(flow, node)):
                can_end.add(name)
                changed = True
    for component in _cycles(flow, lambda n: True):
        if not any(name in can_end for name in component):
            first = min(component, key=lambda name: (nodes[name].mark.line, nodes[name].mark.column))
            path = " → ".join(_cycle_path(flow, component, first))
            problems.append(f.Problem(nodes[first].mark, f"loop without exit: {path} never reaches a hangup, transfer or queue"))
    # 2. Cycles with no caller input at all: the engine would spin without waiting.
    for component in _cycles(flow, lambda n: isinstance(n, PASS_THROUGH)):
        first = min(component, key=lambda name: (nodes[name].mark.line, nodes[name].mark.column))
        path = " → ".join(_cycle_path(flow, component, first))
        problems.append(f.Problem(nodes[first].mark, f"loop without caller input: {path} repeats forever without playing or asking anything"))
    return problems


def _cycles(flow: f.Flow, include) -> list[set[str]]:
    """Strongly connected components with a cycle (Tarjan), over the nodes ``include``
    accepts."""
    nodes = {name: node for name, node in flow.nodes.items() if include(node)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[set[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        # Iterative Tarjan: flows are small, but a generated one must not hit the recursion limit.
        work = [(v, iter([t for t in _edges(flow, nodes[v]) if t in nodes]))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            advanced = False
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter([t for t in _edges(flow, nodes[w]) if t in nodes])))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.add(w)
                    if w == node:
                        break
                self_loop = node in _edges(flow, nodes[node])
                if len(component) > 1 or self_loop:
                    result.append(component)

    for name in nodes:
        if name not in index:
            strong(name)
    return result


def _cycle_path(flow: f.Flow, component: set[str], first: str) -> list[str]:
    """A readable cycle through ``first`` inside ``component``."""
    path = [first]
    current = first
    visited = {first}
    while True:
        nxt = [t for t in _edges(flow, flow.nodes[current]) if t in component]
        if first in nxt and len(path) > 1 or (first in nxt and current == first and len(component) == 1):
            path.append(first)
            return path
        candidates = [t for t in nxt if t not in visited]
        if not candidates:
            path.append(first if first in nxt else nxt[0] if nxt else first)
            return path
        current = candidates[0]
        visited.add(current)
        path.append(current)
