"""``KeysFooter``: the keys shown follow the bindings, and an unchanged set is not redrawn."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from ecr_cache_tui.tui.widgets.footer import KeysFooter


class _Keys(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "act", "Act"),
        Binding("y", "other", "Other"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.act_allowed = True

    def compose(self) -> ComposeResult:
        yield Button("one", id="one")
        yield Button("two", id="two")
        yield KeysFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "act" and not self.act_allowed else True

    def action_act(self) -> None:
        pass

    def action_other(self) -> None:
        pass


def shown(app: _Keys) -> list[tuple[str, bool]]:
    # A key whose action is unavailable is drawn dimmed: Textual marks it ``-disabled``.
    return [(k.description, k.has_class("-disabled")) for k in app.screen.query(FooterKey)]


async def test_the_footer_follows_the_bindings_and_skips_unchanged_redraws() -> None:
    app = _Keys()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        assert ("Act", False) in shown(app)
        footer = app.screen.query_one(KeysFooter)
        first = list(app.screen.query(FooterKey))

        # Focus moves between two buttons: the same keys, so the same key widgets stay.
        app.screen.query_one("#two", Button).focus()
        await pilot.pause()
        app.screen.query_one("#one", Button).focus()
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == first

        # An action becomes unavailable (check_action -> None: shown disabled): redrawn.
        app.act_allowed = False
        app.refresh_bindings()
        await pilot.pause()
        assert ("Act", True) in shown(app)
        assert ("Other", False) in shown(app)
        assert list(app.screen.query(FooterKey)) != first
        assert footer.keys(app.screen) == footer._shown
