"""Sort ceph/s3-tests results into families and count them.

usage: families.py JUNIT_XML [JUNIT_XML ...] [--failures]

Each test of test_s3.py / test_headers.py is put into one family, the first
that applies in this order:
  sigv2        marked auth_aws2, or a browser POST upload (SigV2-signed policy)
  anonymous    uses an unsigned/anonymous client or request
  second-user  uses the alt, tenant or IAM users
  <feature>    needs a feature the gateway never claimed (acl, policy,
               lifecycle, encryption, object-lock, tagging, website, cors,
               logging, sts-iam, versioning, checksum, storage-class, select,
               notification, append, ownership, public-access-block,
               object-attributes, restore, request-payment)
  rgw-extension  needs one of Ceph RGW's own extensions, not S3 (usage stats,
               x-rgw-* headers, unordered listings): listed by name below
  unpassable   cannot pass on any server: listed by name below, with why
  target       everything else: what the gateway claims
A test needs what it calls, so the names it uses are followed through the
module's own helper functions. The target set is what issue 16 counts.
"""
import ast
import collections
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "..", "..", "third_party", "ceph-s3-tests", "s3tests", "functional")

# family -> names (called attributes, functions, keyword arguments or markers)
FEATURES = [
    ("acl", {"put_bucket_acl", "get_bucket_acl", "put_object_acl", "get_object_acl", "ACL",
             "GrantRead", "GrantWrite", "GrantFullControl", "GrantReadACP", "GrantWriteACP",
             "AccessControlPolicy", "_setup_access", "_build_bucket_acl_xml"}),
    ("policy", {"put_bucket_policy", "get_bucket_policy", "delete_bucket_policy",
                "get_bucket_policy_status", "bucket_policy", "user_policy", "Policy",
                "make_json_policy", "abac_test", "role_policy", "session_policy", "group_policy"}),
    ("lifecycle", {"put_bucket_lifecycle_configuration", "put_bucket_lifecycle",
                   "get_bucket_lifecycle_configuration", "lifecycle", "lifecycle_expiration",
                   "lifecycle_transition", "cloud_transition", "cloud_restore"}),
    ("encryption", {"SSECustomerAlgorithm", "SSECustomerKey", "ServerSideEncryption",
                    "SSEKMSKeyId", "put_bucket_encryption", "get_bucket_encryption",
                    "encryption", "sse_s3", "bucket_encryption", "_test_sse_kms_customer_write",
                    "_test_encryption_sse_customer_write"}),
    ("object-lock", {"ObjectLockEnabledForBucket", "put_object_lock_configuration",
                     "get_object_retention", "get_object_legal_hold",
                     "get_object_lock_configuration", "put_object_retention",
                     "put_object_legal_hold", "ObjectLockMode", "object_lock",
                     "BypassGovernanceRetention"}),
    ("tagging", {"put_object_tagging", "get_object_tagging", "delete_object_tagging",
                 "put_bucket_tagging", "get_bucket_tagging", "Tagging", "tagging"}),
    ("website", {"put_bucket_website", "get_bucket_website", "s3website"}),
    ("cors", {"put_bucket_cors", "get_bucket_cors", "delete_bucket_cors"}),
    ("logging", {"put_bucket_logging", "get_bucket_logging", "bucket_logging",
                 "bucket_logging_cleanup", "fails_without_logging_rollover", "target_by_bucket"}),
    ("sts-iam", {"get_iam_client", "get_sts_client", "iam_account", "iam_user", "iam_role",
                 "iam_tenant", "iam_cross_account", "test_of_sts", "webidentity_test",
                 "get_iam_root_client", "get_iam_alt_root_client", "iam_root"}),
    ("versioning", {"put_bucket_versioning", "check_configure_versioning_retry",
                    "list_object_versions", "VersionId", "versioning", "delete_marker",
                    "_do_test_create_remove_versions", "create_multiple_versions"}),
    ("checksum", {"ChecksumAlgorithm", "ChecksumSHA256", "ChecksumCRC32", "ChecksumMode",
                  "ChecksumCRC32C", "ChecksumSHA1", "ChecksumCRC64NVME", "checksum"}),
    ("storage-class", {"StorageClass", "storage_class", "configured_storage_classes"}),
    ("select", {"select_object_content", "s3select"}),
    ("notification", {"put_bucket_notification_configuration", "sns"}),
    ("append", {"appendobject", "append_position"}),
    ("ownership", {"put_bucket_ownership_controls", "get_bucket_ownership_controls",
                   "ObjectOwnership", "object_ownership"}),
    ("public-access-block", {"put_public_access_block", "get_public_access_block"}),
    ("object-attributes", {"get_object_attributes"}),
    ("restore", {"restore_object"}),
    ("request-payment", {"put_bucket_request_payment", "get_bucket_request_payment"}),
]
# Tests of Ceph RGW's own extensions (each is marked fails_on_aws).
RGW_EXTENSION = {
    "test_account_usage": "RGW's ?usage account statistics",
    "test_head_bucket_usage": "RGW's X-RGW-Object-Count/X-RGW-Bytes-Used headers",
    "test_bucket_head_extended": "RGW's x-rgw-object-count header (read-stats)",
    "test_bucket_list_unordered": "RGW's allow-unordered listing parameter",
    "test_bucket_listv2_unordered": "RGW's allow-unordered listing parameter",
}
# Tests no server can pass: botocore signs a request after 'before-call', so a
# header the test removes or empties there is put back (Authorization by the
# signer, Content-Length by the HTTP layer) before the request is sent. Each is
# marked fails_on_rgw with a TODO saying so.
UNPASSABLE = {
    "test_object_create_bad_authorization_none": "Authorization is re-added by the signer",
    "test_object_create_bad_authorization_empty": "Authorization is re-added by the signer",
    "test_bucket_create_bad_authorization_none": "Authorization is re-added by the signer",
    "test_bucket_create_bad_authorization_empty": "Authorization is re-added by the signer",
    "test_object_create_bad_contentlength_none": "Content-Length is re-added by the HTTP layer",
}

SIGV2 = {"auth_aws2", "_get_post_url", "sha1"}
ANONYMOUS = {"get_unauthenticated_client", "get_anon_client", "get_anon_resource",
             "UNSIGNED", "disable_signing", "_make_request", "_make_bucket_request"}
SECOND_USER = {"get_alt_client", "get_tenant_client", "get_alt_user_id", "get_alt_display_name",
               "get_alt_email", "get_tenant_iam_client", "get_alt_iam_client", "get_tenant_name",
               "get_tenant_user_id", "get_iam_s3client", "get_alt_iam_s3client"}


def names_used(node):
    used = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            used.add(n.id)
        elif isinstance(n, ast.Attribute):
            used.add(n.attr)
        elif isinstance(n, ast.keyword) and n.arg:
            used.add(n.arg)
    return used


def module_families(path):
    tree = ast.parse(open(path).read())
    funcs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    direct = {name: names_used(f) for name, f in funcs.items()}
    closure = {}

    def reach(name, seen):
        if name in closure:
            return closure[name]
        out = set(direct[name])
        for other in direct[name]:
            if other in funcs and other not in seen:
                seen.add(other)
                out |= reach(other, seen)
        return out

    fam = {}
    for name, f in funcs.items():
        if not name.startswith("test_"):
            continue
        used = reach(name, {name})
        marks = {d.attr for dec in f.decorator_list for d in ast.walk(dec)
                 if isinstance(d, ast.Attribute)}
        used |= marks
        if name in RGW_EXTENSION:
            fam[name] = "rgw-extension"
        elif name in UNPASSABLE:
            fam[name] = "unpassable"
        elif used & SIGV2:
            fam[name] = "sigv2"
        elif used & ANONYMOUS:
            fam[name] = "anonymous"
        elif used & SECOND_USER:
            fam[name] = "second-user"
        else:
            fam[name] = next((f for f, keys in FEATURES if used & keys), "target")
    return fam


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    families = {}
    for mod in ("test_s3", "test_headers"):
        for name, f in module_families(os.path.join(SUITE, mod + ".py")).items():
            families[(mod, name)] = f
    for xml in args:
        counts = collections.defaultdict(collections.Counter)
        failures = []
        for case in ET.parse(xml).getroot().iter("testcase"):
            mod = case.get("classname", "").rsplit(".", 1)[-1]
            name = case.get("name").split("[")[0]
            fam = families.get((mod, name), "target")
            if case.find("skipped") is not None:
                outcome = "skipped"
            elif case.find("failure") is not None or case.find("error") is not None:
                outcome = "failed"
                if fam == "target":
                    el = case.find("failure") if case.find("failure") is not None else case.find("error")
                    msg = (el.get("message") or "").splitlines()[0][:160] if el is not None else ""
                    failures.append(f"{mod}::{name}: {msg}")
            else:
                outcome = "passed"
            counts[fam][outcome] += 1
        print(f"== {os.path.basename(xml)}")
        print(f"{'family':22} {'passed':>7} {'failed':>7} {'skipped':>8}")
        order = ["target"] + sorted(f for f in counts if f != "target")
        total = collections.Counter()
        for fam in order:
            c = counts[fam]
            total.update(c)
            print(f"{fam:22} {c['passed']:7} {c['failed']:7} {c['skipped']:8}")
        print(f"{'all':22} {total['passed']:7} {total['failed']:7} {total['skipped']:8}")
        t = counts["target"]
        run = t["passed"] + t["failed"]
        if run:
            print(f"target: {t['passed']} of {run} passed ({100 * t['passed'] / run:.1f} %)")
        if "--failures" in sys.argv:
            for f in failures:
                print("  FAIL", f)


if __name__ == "__main__":
    main()
