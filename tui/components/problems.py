"""The problems panel: what validation found, live, one line per problem."""

from __future__ import annotations

from omnix.shared.pipeline import Problem
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class ProblemsPanel(OptionList):
    """Lists validation problems as `line N: node: message`; choosing one selects its node."""

    class ProblemChosen(Message):
        """The user picked a problem that names a node."""

        def __init__(self, node_id: str) -> None:
            super().__init__()
            self.node_id = node_id

    _problems: tuple[Problem, ...] = ()

    def show_problems(self, problems: tuple[Problem, ...]) -> None:
        """Replace the list with these problems (or an all-clear line)."""
        self.clear_options()
        if not problems:
            self.add_option(Option("✔ valid", disabled=True))
            self.border_title = "Problems"
            return
        self.border_title = f"Problems ({len(problems)})"
        for index, problem in enumerate(problems):
            where = f"line {problem.line}: " if problem.line else ""
            node = f"{problem.node}: " if problem.node else ""
            self.add_option(Option(f"✘ {where}{node}{problem.message}", id=f"p{index}"))
        self._problems = problems

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id
        if option_id is None:
            return
        problem = self._problems[int(option_id[1:])]
        if problem.node:
            self.post_message(self.ProblemChosen(problem.node))
