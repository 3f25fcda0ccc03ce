"""Shared steps of the browser tests: signing in (``sign_in``, ``switch``) and answering the confirm modal that
every irreversible action opens (``confirm``: static/js/shuyin.js ``ShuyinConfirm``)."""
from conftest import browser_login as sign_in
from conftest import switch

__all__ = ["DESKTOP", "PHONE", "cancel", "confirm", "no_sideways_scroll", "pick_region", "sign_in", "switch", "wait_option"]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
MODAL = "[data-testid=confirm-modal]"


def _open(pg, target):
    if target is None:
        pass
    elif isinstance(target, str):
        pg.click(target)
    else:
        target.click()
    pg.locator(MODAL).wait_for(state="visible")
    return pg.inner_text("[data-testid=confirm-message]")


def confirm(pg, target=None) -> str:
    """Click ``target`` (a selector or a locator; None: the modal is already open), wait for the confirm modal,
    press its confirm button and wait for the page the post leads to. Returns the modal's message (the
    consequence it states)."""
    message = _open(pg, target)
    with pg.expect_navigation():
        pg.click("[data-testid=confirm-ok]")
    return message


def cancel(pg, target=None, key: str | None = None) -> str:
    """Open the modal and cancel it (its 取消 button, or ``key`` such as "Escape"); nothing is posted."""
    message = _open(pg, target)
    if key:
        pg.keyboard.press(key)
    else:
        pg.click("[data-testid=confirm-cancel]")
    pg.locator(MODAL).wait_for(state="hidden")
    return message


def no_sideways_scroll(pg, width: int = 390) -> bool:
    return pg.evaluate("document.scrollingElement.scrollWidth") <= width


def wait_option(pg, select: str, label: str):
    """Wait until the select lists ``label`` (the cascader fills its lists from /regions.json)."""
    pg.locator(f"{select} option", has_text=label).first.wait_for(state="attached")


def pick_region(pg, name: str, province: str, city: str, district: str | None = None):
    """Choose 省/市/区 in the cascader of field ``name``, each list waited for."""
    base = f"#id_{name}"
    pg.select_option(f"{base}_province", label=province)
    wait_option(pg, f"{base}_city", city)
    pg.select_option(f"{base}_city", label=city)
    if district:
        wait_option(pg, base, district)
        pg.select_option(base, label=district)
