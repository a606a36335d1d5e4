# tests/test_smoke.py in a recipe repository: the pytest example of docs/writing-tests.md.
# cc-ci runs it with pytest against the live install app. requests reaches the app at
# CCCI_BASE_URL through the ingress: cc-ci's resolver on PYTHONPATH maps the app's domain to it.
import os

import requests

BASE = os.environ["CCCI_BASE_URL"]


def test_home_page_names_the_recipe():
    res = requests.get(f"{BASE}/", timeout=30)
    assert res.status_code == 200
    assert os.environ["CCCI_RECIPE"] in res.text


def test_version_file_matches_the_deployed_version():
    res = requests.get(f"{BASE}/version.txt", timeout=30)
    assert res.text.strip() == os.environ["CCCI_VERSION"]
