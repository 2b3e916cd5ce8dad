import json, os
import pytest
os.environ.setdefault("MPLBACKEND", "Agg")

@pytest.fixture(autouse=True)
def every_rrm_policy_written_is_valid(request):
    "After each test that used a temporary folder: every RRM policy written there passes the module's constraints."
    folder = request.getfixturevalue('tmp_path') if 'tmp_path' in request.fixturenames else None
    yield
    if folder is None: return
    from lxml import etree
    from idla_nbdev.rrm_policy import check_policy
    for path in folder.rglob('rrm_policy.json'):
        check_policy(json.loads(path.read_text()))
        etree.parse(str(path.with_suffix('.xml')))  # the NETCONF form is well-formed XML
