"""Debian's Chromium, headless, driven by Selenium: the pages people use, tested in a real
browser. Optionally cut off from everything but this machine, as on a filtered school
network."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver import Chrome


@contextmanager
def chromium(*, offline: bool = False) -> Iterator[Chrome]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    assert binary and driver_path, "install Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    arguments = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=fr"]
    if offline:
        # No name resolves but loopback, and no proxy: only this machine answers.
        arguments += [
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--no-proxy-server",
        ]
    for argument in arguments:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()
