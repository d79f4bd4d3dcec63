#!/usr/bin/env python3
"""Rebuild tests/apitest/cases.json from MOSIP's own sources.

Usage (from the repository root):

    git clone https://github.com/mosip/partner-management-services /tmp/pms
    python3 tests/apitest/generate.py --pms /tmp/pms [--commit master] [--release v1.2.0.1]

Inputs, all read from the `--pms` checkout with `git show` (no work tree needed):

- `<commit>:api-test/` (MOSIP's api-test rig: testNgXmlFiles/*.xml, src/main/resources/**.yml and
  their .hbs templates, testCaseSkippedList.txt);
- `<release>:partner/**/controller/*.java`, only to list the endpoints 1.2.0.1 has (a case whose
  endpoint 1.2.0.1 lacks cannot apply);
- `tests/apitest/decisions.json` (ours): what was decided by hand per case, keyed by uid: an
  exclusion with its class, an expectation that follows 1.2.0.1 where MOSIP's rig expects
  something else (with the reason), and notes.

With `--onboarding <checkout of mosip/mosip-onboarding>` it also rebuilds
`tests/apitest/onboarder.json` from that repository's `<onboarding-tag>:default.sh` and
`onboarding.postman_collection.json`: per `$MODULE` branch of default.sh, the functions it calls,
their `--env-var` values and the requests their `--folder`s select (in collection order, as
newman runs them), each with its method, URL, body and what its postman test saves or asserts.

Output: `tests/apitest/cases.json`, one entry per case of every yml file of the partner and pms
("revamp") trees, in suite order, each either replayed or carrying `excluded: {class, reason}`.
README.md in this directory explains every field and the rig semantics reproduced here
(OutputValidationUtil: expected leaves equal as strings, `$IGNORE$`, errors-only cases).

Only the Python standard library and PyYAML are used.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
RES = "api-test/src/main/resources/"
SUITES = ["partnerSuite.xml", "pmsSuite.xml"]

# The HTTP method each rig class really sends (the yml `restMethod` is not what decides).
CLASS_METHOD = {
    "SimplePost": "POST",
    "SimplePostForAutoGenId": "POST",
    "SimplePostWithoutBody": "POST",
    "PostWithOnlyPathParam": "POST",
    "PostWithBodyAndPathParams": "POST",
    "PostWithBodyAndPathParamsAndAutoGenId": "POST",
    "SimplePut": "PUT",
    "PutWithPathParamsAndBody": "PUT",
    "SimplePatch": "PATCH",
    "SimplePatchForAutoGenId": "PATCH",
    "PatchWithPathParamsAndBody": "PATCH",
    "PatchWithPathParam": "PATCH",
    "GetWithParam": "GET",
    "GetWithParamForAutoGenId": "GET",
    "GetWithQueryParam": "GET",
    "DownloadRootCertificate": "GET",
}

# Classes that read MOSIP's databases instead of calling an endpoint.
DB_CLASSES = {"AuditValidator", "DBValidator"}

# Automatic exclusion classes (hand ones live in decisions.json `exclusionClasses`).
AUTO_EXCLUSIONS = {
    "not-in-1.2.0.1": "the endpoint (path and method) does not exist in PMS 1.2.0.1's controllers",
    "reads-mosip-databases": "AuditValidator / DBValidator query MOSIP's audit and IDA databases "
    "directly; there is no request to replay",
    "not-in-a-suite": "no testNG suite XML runs this yml file, so MOSIP's rig never runs it",
    "rig-skip-list": "listed in testCaseSkippedList.txt (MOSIP-37970: PMS 1.2.x does not validate "
    "requesttime); the rig skips it",
    "obsolete-path": "the endpoint uses the pre-1.2 /partnermanagement/v1 context path, which no "
    "1.2.x service serves",
}


def git_show(repo, rev, path):
    return subprocess.run(
        ["git", "-C", repo, "show", f"{rev}:{path}"], check=True, capture_output=True
    ).stdout.decode("utf-8")


def git_ls(repo, rev, path):
    out = subprocess.run(
        ["git", "-C", repo, "ls-tree", "-r", "--name-only", rev, path],
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [line for line in out.splitlines() if line]


# ---------------------------------------------------------------------------------------------
# 1.2.0.1 endpoints, from the controllers' Spring mappings.

MAPPING = re.compile(
    r"@(Request|Get|Post|Put|Patch|Delete)Mapping\s*(\((?P<args>[^)]*)\))?", re.S
)


def mapping_paths(args):
    if not args:
        return [""]
    found = re.findall(r'"([^"]*)"', args.split("method")[0]) if "value" in args or "path" in args or args.strip().startswith('"') else []
    return found or [""]


def mapping_methods(kind, args):
    if kind != "Request":
        return [kind.upper()]
    methods = re.findall(r"RequestMethod\.(\w+)", args or "")
    return methods or ["GET", "POST", "PUT", "PATCH", "DELETE"]


def release_endpoints(repo, rev):
    """(method, path pattern) pairs of every controller of the release."""
    endpoints = []
    for path in git_ls(repo, rev, "partner"):
        if not re.search(r"/controller/\w+\.java$", path) or "/test/" in path:
            continue
        context = "/v1/policymanager" if "policy-management-service" in path else "/v1/partnermanager"
        src = git_show(repo, rev, path)
        class_at = src.find(" class ")
        base = [""]
        for m in MAPPING.finditer(src[:class_at]):
            base = mapping_paths(m.group("args"))
        for m in MAPPING.finditer(src[class_at:]):
            for b in base:
                for p in mapping_paths(m.group("args")):
                    for method in mapping_methods(m.group(1), m.group("args")):
                        endpoints.append((method, context + b + p))
    return endpoints


def best_match(method, endpoint, endpoints):
    """How many literal segments of the best route serving `method endpoint` match (-1: none).
    A `{placeholder}` of the yml or of the route matches any segment."""
    segs = [s for s in endpoint.split("?")[0].split("/") if s]
    best = -1
    for m, pattern in endpoints:
        psegs = [s for s in pattern.split("/") if s]
        if m == method and len(psegs) == len(segs):
            if all(p == s or p.startswith("{") or s.startswith("{") for p, s in zip(psegs, segs)):
                best = max(best, sum(1 for p, s in zip(psegs, segs) if p == s))
    return best


def endpoint_in(method, endpoint, release, newest):
    """Whether 1.2.0.1 serves `method endpoint` as the same route MOSIP's rig meant: a literal
    segment the newest code routes to a literal route of its own (`/policies/policy-groups`)
    does not count as 1.2.0.1's `{policyId}`."""
    have = best_match(method, endpoint, release)
    return have >= 0 and have >= best_match(method, endpoint, newest)


# ---------------------------------------------------------------------------------------------
# The rig's template handling (AdminTestUtil.getJsonFromTemplate, Handlebars.java).

HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "`": "&#x60;", "=": "&#x3D;"}
MISSING = object()


def text(value):
    """Handlebars.java's rendering of a Gson value: doubles keep their `.0`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def lookup(scopes, name):
    for scope in reversed(scopes):
        if isinstance(scope, dict) and name in scope:
            return scope[name]
    return MISSING


class Render:
    def __init__(self):
        self.missing = set()

    def apply(self, tpl, scopes):
        out = []
        pos = 0
        tag = re.compile(r"\{\{([#/]?)\s*([^}]*?)\s*\}\}")
        while True:
            m = tag.search(tpl, pos)
            if not m:
                out.append(tpl[pos:])
                return "".join(out)
            out.append(tpl[pos : m.start()])
            kind, name = m.group(1), m.group(2)
            if kind == "#":
                # `{{#each list}}` / `{{#unless @last}}`
                block, arg = name.split(None, 1)
                end, body = self.block_body(tpl, m.end(), block)
                if block == "each":
                    items = lookup(scopes, arg)
                    if isinstance(items, list):
                        for i, item in enumerate(items):
                            meta = {"@last": i == len(items) - 1, "@first": i == 0, "@index": i, "this": item}
                            out.append(self.apply(body, scopes + [meta, item]))
                    elif items is MISSING:
                        self.missing.add(arg)
                elif block == "unless":
                    val = lookup(scopes, arg)
                    if not val or val is MISSING:
                        out.append(self.apply(body, scopes))
                elif block == "if":
                    val = lookup(scopes, arg)
                    if val and val is not MISSING:
                        out.append(self.apply(body, scopes))
                else:
                    raise ValueError(f"unsupported block {block}")
                pos = end
                continue
            val = lookup(scopes, name)
            if val is MISSING:
                self.missing.add(name)
                val = ""
            s = text(val)
            out.append("".join(HTML_ESCAPES.get(ch, ch) for ch in s))
            pos = m.end()

    @staticmethod
    def block_body(tpl, start, block):
        depth = 1
        pat = re.compile(r"\{\{([#/])(\w+)[^}]*\}\}")
        pos = start
        while True:
            m = pat.search(tpl, pos)
            if not m:
                raise ValueError(f"unclosed {block}")
            if m.group(2) == block:
                depth += 1 if m.group(1) == "#" else -1
                if depth == 0:
                    return m.end(), tpl[start : m.start()]
            pos = m.end()


def lenient_json(s):
    """The yml `input`/`output` strings as the rig's Gson reads them (unquoted $REMOVE$ etc.)."""
    s = re.sub(r'(:\s*)\$(REMOVE|IGNORE|TIMESTAMP)\$', r'\1"$\2$"', s)
    return json.loads(s, strict=False)


def org_json(s):
    """Parse a rendered template as the rig's org.json does: bare words (`$REMOVE$`, `$IGNORE$`)
    outside strings are strings; JSON literals and numbers keep their type."""
    out, i, n = [], 0, len(s)
    while i < n:
        ch = s[i]
        if ch == '"':
            j = i + 1
            while j < n and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            out.append(s[i : j + 1])
            i = j + 1
        elif ch in "{}[]:,\r\n\t ":
            out.append(ch)
            i += 1
        else:
            j = i
            while j < n and s[j] not in '{}[]:,"\r\n\t ':
                j += 1
            word = s[i:j]
            if word in ("true", "false", "null") or re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", word):
                out.append(word)
            else:
                out.append(json.dumps(word))
            i = j
    return json.loads("".join(out), strict=False)


def remove_marked(value):
    if isinstance(value, dict):
        return {k: remove_marked(v) for k, v in value.items() if v != "$REMOVE$"}
    if isinstance(value, list):
        return [remove_marked(v) for v in value if v != "$REMOVE$"]
    return value


def leaves(value):
    if isinstance(value, dict):
        return any(leaves(v) for v in value.values())
    if isinstance(value, list):
        return any(leaves(v) for v in value)
    return True


def error_codes_only(value):
    return {"errors": [{"errorCode": e.get("errorCode")} for e in value.get("errors", []) if isinstance(e, dict)]}


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pms", required=True, help="a git checkout of mosip/partner-management-services")
    ap.add_argument("--commit", default="3314627a17c5bd2019ceb4850d5ae1cab603491c")
    ap.add_argument("--release", default="v1.2.0.1")
    ap.add_argument("--out", default=os.path.join(HERE, "cases.json"))
    ap.add_argument("--onboarding", help="a git checkout of mosip/mosip-onboarding")
    ap.add_argument("--onboarding-tag", default="v1.2.0.1")
    args = ap.parse_args()
    repo, rev = args.pms, args.commit
    if args.onboarding:
        onboarder(args.onboarding, args.onboarding_tag, os.path.join(HERE, "onboarder.json"))

    decisions = json.load(open(os.path.join(HERE, "decisions.json")))
    exclusion_classes = dict(AUTO_EXCLUSIONS, **decisions["exclusionClasses"])
    by_uid = decisions["cases"]
    endpoints = (release_endpoints(repo, args.release), release_endpoints(repo, rev))
    skip_list = {
        line.split("------")[-1].strip()
        for line in git_show(repo, rev, RES + "testCaseSkippedList.txt").splitlines()
        if line and not line.startswith("#")
    }

    files = [p for p in git_ls(repo, rev, RES) if p.endswith(".yml") and p[len(RES) :].split("/")[0] in ("partner", "pms")]

    runs = []  # (suite, test name, yml, class, pathParams, idKeyName) in suite order
    for suite in SUITES:
        root = ET.fromstring(git_show(repo, rev, "api-test/testNgXmlFiles/" + suite))
        for test in root.iter("test"):
            params = {p.get("name"): p.get("value") for p in test.findall("parameter")}
            cls = next(test.iter("class")).get("name").split(".")[-1]
            runs.append((suite, test.get("name"), params.get("ymlFile"), cls, params.get("pathParams"), params.get("idKeyName")))
    run_files = {r[2] for r in runs}
    order = [(r, RES + r[2]) for r in runs] + [(None, f) for f in files if f[len(RES) :] not in run_files]

    cases, seq, seen = [], 0, set()
    for run, path in order:
        raw = git_show(repo, rev, path)
        try:
            doc = yaml.safe_load(raw) or {}
        except yaml.YAMLError:
            # A few files indent with TABs, which YAML forbids; the rig's SnakeYAML is as strict,
            # so MOSIP must have read them another way: read them with TABs as spaces.
            doc = yaml.safe_load(raw.replace("\t", "    ")) or {}
        for api, entries in doc.items():
            for name, y in (entries or {}).items():
                rel = path[len(RES) :]
                uid = f"{os.path.dirname(rel)}#{name}"
                if run is not None and run[2] != rel:
                    continue
                if uid in seen:
                    # The same file run by a second <test>: recorded once, with the other runner.
                    continue
                seen.add(uid)
                seq += 1
                cases.append(build(repo, rev, run, path, name, y, seq, uid, endpoints, skip_list, by_uid))
    unknown = set(by_uid) - seen
    if unknown:
        sys.exit(f"decisions.json names cases that do not exist: {sorted(unknown)}")
    for c in cases:
        if "excluded" in c and c["excluded"]["class"] not in exclusion_classes:
            sys.exit(f"{c['uid']}: unknown exclusion class {c['excluded']['class']}")
        if "excluded" in c:
            c["excluded"]["reason"] = c["excluded"].get("reason") or exclusion_classes[c["excluded"]["class"]]
    with open(args.out, "w") as fh:
        json.dump(cases, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    counts = {}
    for c in cases:
        key = (c["tree"], c["excluded"]["class"] if "excluded" in c else "replayed")
        counts[key] = counts.get(key, 0) + 1
    for k in sorted(counts):
        print(f"{k[0]:8} {k[1]:28} {counts[k]}")
    print(f"total {len(cases)} cases, {sum(1 for c in cases if 'excluded' not in c)} replayed")


def build(repo, rev, run, path, name, y, seq, uid, endpoints, skip_list, by_uid):
    rel = path[len(RES) :]
    tree = rel.split("/")[0]
    suite, test, _, cls, path_params, id_key = run if run else (None, None, None, None, None, None)
    endpoint = str(y.get("endPoint", ""))
    method = CLASS_METHOD.get(cls, str(y.get("restMethod", "")).upper())
    c = {
        "seq": seq,
        "uid": uid,
        "tree": tree,
        "name": name,
        "source": "api-test/src/main/resources/" + rel,
        "method": method,
        "endpoint": endpoint,
        "role": y.get("role"),
        "runner": {"suiteXml": suite and "api-test/testNgXmlFiles/" + suite, "test": test, "class": cls, "pathParams": path_params, "idKeyName": id_key},
        "checkErrorsOnlyInResponse": bool(y.get("checkErrorsOnlyInResponse", False)),
    }
    for k in ("uniqueIdentifier", "description"):
        if y.get(k):
            c[k] = y[k]
    d = by_uid.get(uid, {})

    def exclude(cls_name, reason=None):
        c["excluded"] = {"class": cls_name}
        if reason:
            c["excluded"]["reason"] = reason

    # Input: yml values rendered into the input template, $REMOVE$ keys dropped.
    try:
        values = lenient_json(str(y.get("input", "{}")))
        r = Render()
        tpl = git_show(repo, rev, RES + y["inputTemplate"] + ".hbs") if y.get("inputTemplate") else "{}"
        rendered = r.apply(tpl, [values])
        body = remove_marked(org_json(rendered))
        if r.missing:
            c["templateFieldsNotInYaml"] = sorted(r.missing)
    except Exception as e:  # noqa: BLE001 - recorded on the case
        body = None
        c["inputError"] = f"{type(e).__name__}: {e}"
    c["input"] = body
    if isinstance(body, dict):
        if cls in ("GetWithParam", "GetWithParamForAutoGenId", "PostWithOnlyPathParam"):
            c["pathParams"], c["body"] = {k: v for k, v in body.items() if "{" + k + "}" in endpoint} or None, None
            rest = {k: v for k, v in body.items() if k not in (c["pathParams"] or {})}
            if rest:
                c["queryParams"] = rest
        elif cls == "GetWithQueryParam":
            c["queryParams"], c["body"] = body, None
        elif path_params:
            names = [p.strip() for p in path_params.split(",")]
            c["pathParams"] = {k: body[k] for k in names if k in body}
            c["body"] = {k: v for k, v in body.items() if k not in names}
        elif cls == "SimplePostWithoutBody":
            c["body"] = None
        else:
            c["body"] = body

    # Expected output, compared the way OutputValidationUtil compares it.
    out_tpl = y.get("outputTemplate")
    expected = None
    try:
        values = lenient_json(str(y.get("output", "{}")))
        tpl = git_show(repo, rev, RES + out_tpl + ".hbs") if out_tpl else "{}"
        r = Render()
        expected = org_json(r.apply(tpl, [values]))
        if r.missing:
            expected = drop_empty_leaves(expected, {""})
    except Exception:  # noqa: BLE001 - a template that cannot render compares nothing
        expected = None
    if isinstance(expected, dict) and "errors" in expected and expected["errors"]:
        expected = error_codes_only(expected)
    if expected is None or not leaves(expected):
        c["output"] = {"noErrors": True} if c["checkErrorsOnlyInResponse"] else None
    else:
        c["output"] = expected
    if id_key and cls and "AutoGenId" in cls:
        key = name.split("_", 1)[1] if "_" in name else name
        c["savesId"] = {"placeholder": f"$ID:{key}_{id_key}$", "from": f"response.{id_key}"}

    # Applicability, then what was decided by hand.
    if cls in DB_CLASSES:
        exclude("reads-mosip-databases")
    elif run is None:
        exclude("not-in-a-suite")
    elif name in skip_list:
        exclude("rig-skip-list")
    elif endpoint.startswith("/partnermanagement/"):
        exclude("obsolete-path")
    elif not endpoint_in(method, endpoint, *endpoints):
        exclude("not-in-1.2.0.1")
    elif c["output"] is None:
        # The rig sends the request (its effects count for later cases), then finds nothing
        # to compare and marks the case skipped: replayed for its effects, not compared.
        c["comparison"] = "none: the rig sends it, then skips the comparison"
    if d.get("exclude"):
        exclude(d["exclude"], d.get("reason"))
    if d.get("expect") is not None:
        c["mosipOutput"], c["output"] = c["output"], d["expect"]
        c["versionNote"] = d["why"]
    if d.get("notes"):
        c["notes"] = d["notes"]
    return c


# ---------------------------------------------------------------------------------------------
# MOSIP's partner onboarder (mosip/mosip-onboarding): default.sh + its postman collection.


def service_of(url):
    for prefix, name in (
        ("{{url}}/v1/partnermanager", "pms-partner"),
        ("{{url}}/v1/policymanager", "pms-policy"),
        ("{{url}}/v1/keymanager", "keymanager"),
        ("{{url}}/v1/authmanager", "authmanager"),
        ("{{url}}/idauthentication", "ida"),
        ("{{keycloak-url}}", "keycloak"),
        ("{{external-url}}/v1/esignet", "esignet"),
    ):
        if url.startswith(prefix):
            return name
    return "external"


def postman_test(script):
    """What a postman test saves and asserts.

    - saves: `pm.environment.set(name, <expr>)` whose expression reads `response.<field>` of the
      answer (`{response} = pm.response.json()`, `jsonData.response.x`, `responseJson.response.x`):
      `{variable, from: "response.<field>"}`. Reading a field of a null `response` throws, which
      fails the test (and `--bail` stops the run), so such a save also asserts that `response`
      is an object.
    - includes: one entry per `to.include("x")` / `to.include.oneOf([...])` assertion, each the
      list of texts of which the answer must contain one.
    """
    saves = []
    for name, expr in re.findall(r"pm\.environment\.set\(\s*['\"]([^'\"]+)['\"]\s*,([^;\n]*)", script):
        m = re.search(r"response\.([A-Za-z_]+)", expr)
        if m:
            saves.append({"variable": name, "from": "response." + m.group(1)})
    if re.search(r"JSON\.stringify\(jsonData\.response\.(\w+)\)", script):
        field = re.search(r"JSON\.stringify\(jsonData\.response\.(\w+)\)", script).group(1)
        for name in re.findall(r"pm\.environment\.set\(\s*['\"]([^'\"]+)['\"]\s*,\s*unquoted", script):
            saves.append({"variable": name, "from": "response." + field})
    includes = []
    for one_of in re.findall(r"include\.oneOf\(\[([^\]]*)\]", script):
        includes.append(re.findall(r"['\"]([^'\"]+)['\"]", one_of))
    for text in re.findall(r"to\.include\(\s*['\"]([^'\"]+)['\"]\s*\)", script):
        includes.append([text])
    return saves, includes


def onboarder(repo, tag, out):
    script = git_show(repo, tag, "default.sh")
    coll = json.loads(git_show(repo, tag, "onboarding.postman_collection.json"))
    requests, folders = [], {}

    def walk(items, folder):
        for it in items:
            if "item" in it:
                start = len(requests)
                walk(it["item"], it["name"])
                folders.setdefault(it["name"], list(range(start, len(requests))))
            else:
                r = it["request"]
                events = {e["listen"]: "\n".join(e.get("script", {}).get("exec", [])) for e in it.get("event", [])}
                url = r["url"]["raw"] if isinstance(r["url"], dict) else r["url"]
                saves, includes = postman_test(events.get("test", ""))
                body = (r.get("body") or {}).get("raw")
                requests.append({
                    "name": it["name"], "folder": folder, "method": r["method"], "url": url,
                    "service": service_of(url), "body": body or None,
                    "saves": saves, "includes": includes,
                    "test": events.get("test", "").strip() or None,
                    "preRequest": events.get("prerequest", "").strip() or None,
                })

    walk(coll["item"], "")
    functions = {}
    for m in re.finditer(r"^(\w+)\s*\(\)\s*\{(.*?)^\}", script, re.S | re.M):
        body = m.group(2)
        env = dict(re.findall(r"--env-var\s+([\w-]+)=(\"[^\"]*\"|\S*)", body))
        env = {k: v.strip('"') for k, v in env.items()}
        names = [n.strip("'\"") for n in re.findall(r"--folder\s+('[^']+'|\S+)", body)]
        data = re.search(r"-d\s+\./(\S+\.json)", body)
        # The certificates a function reads before newman: MOSIP's own files (copied next to
        # onboarder.json) or, for `certs/$PARTNER_KC_USERNAME/…`, made by create-signing-certs.sh.
        cert_files = {}
        for var, path in re.findall(r'(root_cert_path|partner_cert_path|client_cert_path)="\$MYDIR/certs/([^"]+)"', body):
            key = "root_ca_cert" if var == "root_cert_path" else "partner_cert"
            if "$" in path:
                cert_files[key] = "generated by certs/create-signing-certs.sh (O=IITB, 1825 days)"
            else:
                name = path.replace("/", "-")
                with open(os.path.join(HERE, "onboarder-certs", name), "w") as fh:
                    fh.write(git_show(repo, tag, "certs/" + path))
                cert_files[key] = "onboarder-certs/" + name
        # newman: a name selects its first match in a depth-first walk, the selection runs in
        # collection order, and a request already selected through its folder runs once.
        chosen = []
        for n in names:
            idx = folders.get(n) or [next(i for i, r in enumerate(requests) if r["name"] == n)]
            chosen.extend(i for i in idx if i not in chosen)
        functions[m.group(1)] = {
            "env": env,
            "folders": names,
            "policyData": data.group(1) if data else None,
            "certificates": cert_files,
            "requests": [requests[i] for i in sorted(chosen)],
        }
    main = script[script.index("Script starts from here") :] if "Script starts from here" in script else script
    modules = []
    for m in re.finditer(r'"\$MODULE"\s*=\s*"([\w-]+)"\s*\];\s*then(.*?)(?=\n\s*(?:elif|fi\b))', main, re.S):
        calls = [c for c in re.findall(r"^\s*(\w+)\s*$", m.group(2), re.M) if c in functions]
        sets = {}
        for name, value in re.findall(r"^\s*(?:export\s+)?([A-Za-z_]+)=(.*?)\s*$", m.group(2), re.M):
            value = value.strip()
            if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            # `$( printenv name )`: a value of the deployment, left for the replay to fill.
            sets[name] = re.sub(r"\$\(\s*printenv\s+([\w-]+)\s*\)", r"{printenv:\1}", value)
        modules.append({"module": m.group(1), "variables": sets, "calls": [dict(function=c, **functions[c]) for c in calls]})
    policies = {}
    for f in sorted({c["policyData"] for mod in modules for c in mod["calls"] if c["policyData"]}):
        policies[f] = json.loads(git_show(repo, tag, f))
    with open(out, "w") as fh:
        json.dump({"source": f"github.com/mosip/mosip-onboarding {tag}: default.sh, onboarding.postman_collection.json",
                   "modules": modules, "policyData": policies}, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"onboarder: {len(modules)} modules, {sum(len(c['requests']) for m in modules for c in m['calls'])} requests")


def drop_empty_leaves(value, empties):
    if isinstance(value, dict):
        return {k: drop_empty_leaves(v, empties) for k, v in value.items() if not (isinstance(v, str) and v in empties)}
    if isinstance(value, list):
        return [drop_empty_leaves(v, empties) for v in value]
    return value


if __name__ == "__main__":
    main()
