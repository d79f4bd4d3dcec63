"""Drive the pmsflow demo through its HTTP API (standard library only).

Onboards every valid MOSIP fixture chain, prints each run's step timeline, then submits the
negative fixtures and checks that each fails with its code and leaves no effect in the
sandbox ledger.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

VALID = [
    # (group, leaf file, partner id, organisation (O=), partner type, policy group)
    ("apitest-credential", "partner.movp.pem", "movp", "movp", "Credential_Partner", "mpolicygroup-default-digitalcard"),
    ("apitest-misp", "partner.misp.pem", "misp", "misp", "MISP_Partner", None),
    ("apitest-misp", "partner.misp2.pem", "misp2", "misp2", "MISP_Partner", None),
    ("apitest-device", "partner.deviceprovider.pem", "deviceprovider", "deviceprovider", "Device_Provider", None),
    ("apitest-ftm", "partner.ftp.pem", "ftp", "ftp", "FTM_Provider", None),
    ("mosiptest-2021", "partner.Techno.pem", "Techno", "Techno", "Auth_Partner", "mpolicygroup-default-auth"),
    ("mosiptest-2024", "partner.mosipprint.pem", "mosipprint", "mosipprint", "Print_Partner", "mpolicygroup-default-print"),
]

NEGATIVE = [
    # (label, CA files, leaf file, partner id, organisation, expected code)
    ("corrupted certificate", ["apitest-credential/root-ca.apitest.pem"], "invalid/uploadInvalidCertificate.corrupted.pem", "neg-corrupt", "movp", "KER-KMS-013"),
    ("orphan leaf (issuer SUBCA unknown)", [], "apitest-orphan/partner.ftp.issued-by-SUBCA.pem", "neg-orphan", "ftp", "KER-PCM-006"),
    ("PMS_API leaf with under 335 days left", ["pms-api-chain/root-ca.PMS_API_CA.pem", "pms-api-chain/sub-ca.PMS_API_SUB_CA.pem"], "pms-api-chain/partner.PMS_API_ABC_ORG.pem", "neg-pmsapi", "PMS_API_ABC_ORG", "KER-PCM-004"),
    ("O= mismatch", ["apitest-credential/root-ca.apitest.pem", "apitest-credential/sub-ca.apitest2.pem"], "apitest-credential/partner.movp.pem", "neg-orgname", "Not movp", "KER-PCM-008"),
]


def call(method, url, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def read(path):
    with open(path) as f:
        return f.read()


def wait_run(api, token, run_id, timeout=120):
    deadline = time.time() + timeout
    while True:
        _, run = call("GET", f"{api}/v1/runs/{run_id}", token)
        if run["status"] != "running" or time.time() > deadline:
            return run
        time.sleep(0.2)


def timeline(run):
    print(f"  run {run['id']}  kind={run['kind']}  status={run['status']}"
          + (f"  error={run['error_code']}: {run['error_message']}" if run.get("error_code") else ""))
    for s in run["steps"]:
        dur = ""
        if s.get("started_at") and s.get("finished_at"):
            dur = s["started_at"][11:23] + " -> " + s["finished_at"][11:23]
        errs = [a["error"]["code"] for a in s["attempts"] if a.get("error")]
        print(f"    {s['seq']:>2}. {s['key']:<40} {s['status']:<10} attempt {s['attempt']}/{s['max_attempts']}  {dur}"
              + (f"  errors={errs}" if errs else ""))


def onboard(api, token, fixtures, partner_id, org, ptype, group, cas, leaf):
    body = {
        "partner": {
            "partnerId": partner_id, "organizationName": org, "partnerType": ptype,
            "policyGroup": group, "address": "MOSIP demo street 1", "contactNumber": "9876543210",
            "emailId": f"{partner_id.lower()}@demo.example.org",
        },
        "caCertificates": [read(os.path.join(fixtures, c)) for c in cas],
        "partnerCertificate": read(os.path.join(fixtures, leaf)),
    }
    status, resp = call("POST", f"{api}/v1/onboardings", token, body)
    if status != 202:
        print(f"  rejected: HTTP {status} {resp}")
        return None
    return wait_run(api, token, resp["runId"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--api", required=True)
    p.add_argument("--sandbox", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--fixtures", required=True)
    a = p.parse_args()
    ok = True

    print("== Onboarding every valid MOSIP fixture chain ==")
    for group, leaf, pid, org, ptype, pgroup in VALID:
        d = os.path.join(a.fixtures, group)
        cas = [os.path.join(group, f) for f in sorted(os.listdir(d)) if not f.startswith("partner.")]
        print(f"\n{pid} ({ptype}, chain {group})")
        run = onboard(a.api, a.token, a.fixtures, pid, org, ptype, pgroup, cas, os.path.join(group, leaf))
        if run is None:
            ok = False
            continue
        timeline(run)
        ok &= run["status"] == "completed"
        _, env = call("GET", f"{a.api}/v1/partnermanager/partners/{pid}", a.token)
        print(f"  partner now: {env['response']['status']} / {env['response']['approvalStatus']}")

    print("\n== Negative fixtures ==")
    for label, cas, leaf, pid, org, code in NEGATIVE:
        print(f"\n{label} (expect {code})")
        run = onboard(a.api, a.token, a.fixtures, pid, org, "Auth_Partner", "mpolicygroup-default-auth", cas, leaf)
        if run is None:
            ok = False
            continue
        timeline(run)
        _, ledger = call("GET", f"{a.sandbox}/_sandbox/ledger")
        effects = [e for e in ledger if pid in json.dumps(e) or run["id"] in e.get("effect_key", "")]
        print(f"  side effects in the ledger for this run: {len(effects)}")
        ok &= run["status"] == "failed" and run["error_code"] == code and not effects

    _, ledger = call("GET", f"{a.sandbox}/_sandbox/ledger")
    print(f"\nSandbox ledger: {len(ledger)} effects in all")
    print("DEMO OK" if ok else "DEMO FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
