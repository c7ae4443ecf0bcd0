"""A member of organisation A can neither read nor change anything of organisation B.

Routes come from the app itself: a new id-taking route without an entry in the object
map below fails the test until it is covered.
"""

from __future__ import annotations

import re

from sealhub.api.introspect import api_routes
from tests.builders import add_member, create_unit, register_org
from tests.world import UPLOADS, build_world, upload_file

SKIP_PATHS = {"/api/v1/events"}


async def test_no_cross_tenant_access(client, app):
    a = await register_org(client, app, org_name="甲公司")
    b = await register_org(client, app, org_name="乙公司")
    world_b = await build_world(app, b)
    # organisation A also has data of its own, so "empty" answers prove nothing
    await create_unit(a, "甲的部门")
    await add_member(a, name="甲的员工", roles=["employee"])

    param_routes, list_routes = [], []
    for path, methods, _ in api_routes(app):
        if path in SKIP_PATHS:
            continue
        params = re.findall(r"\{([^}]+)\}", path)
        for method in methods:
            (param_routes if params else list_routes).append((method, path, params))

    assert len(param_routes) > 20
    for method, path, params in param_routes:
        missing = [p for p in params if p not in world_b.ids]
        assert not missing, f"{method} {path}: no object of B for {missing}; extend tests/world.py"
        url = path
        for p in params:
            url = url.replace("{" + p + "}", world_b.ids[p])
        if (method, path) in UPLOADS:
            r = await a.call(method, url, files=upload_file())
        else:
            r = await a.call(method, url, json=world_b.bodies.get((method, path), {}))
        assert r.status_code == 404, (
            f"A reached B via {method} {path}: {r.status_code} {r.text[:200]}"
        )

    secrets = set(world_b.ids.values()) | {world_b.marker}
    for method, path, _ in list_routes:
        if method != "GET":
            continue
        r = await a.call("GET", path)
        if r.status_code == 200:
            for secret in secrets:
                assert secret not in r.text, f"GET {path} leaked {secret} of organisation B"

    # and B still sees its own objects: the ids were real
    for path in world_b.readable:
        assert (await b.call("GET", path)).status_code == 200, path
