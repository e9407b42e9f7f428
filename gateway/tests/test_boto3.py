"""boto3 against `trove-host serve`: a real S3 client, SigV4, over HTTP.

scripts/gateway-tests.sh starts `trove-host serve` for a driver and runs this
file with TROVE_GATEWAY_ENDPOINT, TROVE_GATEWAY_ACCESS_KEY and
TROVE_GATEWAY_SECRET_KEY set.
"""

import hashlib
import io
import os
import time
import uuid

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

MiB = 1 << 20


def _env(name):
    v = os.environ.get(name)
    if not v:
        pytest.fail(
            f"{name} is not set: run scripts/gateway-tests.sh, which starts "
            "`trove-host serve` and sets the TROVE_GATEWAY_* variables",
            pytrace=False,
        )
    return v


def _client(secret=None, signed=True, read_timeout=60):
    cfg = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1},
           "read_timeout": read_timeout}
    if not signed:
        from botocore import UNSIGNED

        cfg["signature_version"] = UNSIGNED
    return boto3.client(
        "s3",
        endpoint_url=_env("TROVE_GATEWAY_ENDPOINT"),
        aws_access_key_id=_env("TROVE_GATEWAY_ACCESS_KEY"),
        aws_secret_access_key=secret or _env("TROVE_GATEWAY_SECRET_KEY"),
        region_name="us-east-1",
        config=Config(**cfg),
    )


@pytest.fixture(scope="session")
def s3():
    return _client()


@pytest.fixture
def bucket(s3):
    name = "t-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    yield name
    # empty and remove it
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": keys})
    s3.delete_bucket(Bucket=name)


def code(exc):
    return exc.value.response["Error"]["Code"]


def status(exc):
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


# ---- auth ----


def test_wrong_secret_is_refused():
    bad = _client(secret="not-the-secret")
    with pytest.raises(ClientError) as e:
        bad.list_buckets()
    assert status(e) == 403
    assert code(e) == "SignatureDoesNotMatch"


def test_unsigned_request_is_refused():
    anon = _client(signed=False)
    with pytest.raises(ClientError) as e:
        anon.list_buckets()
    assert status(e) == 403


# ---- buckets ----


def test_bucket_crud(s3):
    name = "crud-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    # re-creating one's own bucket answers 200, as S3 does in us-east-1, and keeps it
    s3.create_bucket(Bucket=name)
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"x"
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert code(e) == "BucketNotEmpty"
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert code(e) == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert status(e) == 404


def test_invalid_bucket_name(s3):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Upper_Case")
    assert code(e) == "InvalidBucketName"


# ---- objects ----


def test_object_crud(s3, bucket):
    r = s3.put_object(
        Bucket=bucket,
        Key="dir/hello world+1.txt",
        Body=b"hello, world",
        ContentType="text/plain",
        Metadata={"owner": "ann", "color": "blue"},
    )
    etag = r["ETag"]
    h = s3.head_object(Bucket=bucket, Key="dir/hello world+1.txt")
    assert h["ContentLength"] == 12
    assert h["ContentType"] == "text/plain"
    assert h["Metadata"] == {"owner": "ann", "color": "blue"}
    assert h["ETag"] == etag
    g = s3.get_object(Bucket=bucket, Key="dir/hello world+1.txt")
    assert g["Body"].read() == b"hello, world"
    assert g["ETag"] == etag
    # overwrite
    s3.put_object(Bucket=bucket, Key="dir/hello world+1.txt", Body=b"second")
    assert s3.get_object(Bucket=bucket, Key="dir/hello world+1.txt")["Body"].read() == b"second"
    # empty object
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""
    # delete, then it is gone; deleting again succeeds
    s3.delete_object(Bucket=bucket, Key="dir/hello world+1.txt")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="dir/hello world+1.txt")
    assert code(e) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="dir/hello world+1.txt")
    assert status(e) == 404
    s3.delete_object(Bucket=bucket, Key="dir/hello world+1.txt")


def test_missing_bucket(s3):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="no-such-bucket-" + uuid.uuid4().hex[:8], Key="k", Body=b"x")
    assert code(e) == "NoSuchBucket"


def test_conditions(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v1")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="c", Body=b"v2", IfNoneMatch="*")
    assert code(e) == "PreconditionFailed"
    s3.put_object(Bucket=bucket, Key="new", Body=b"n", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert status(e) == 412
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert status(e) == 304


def test_delete_objects(s3, bucket):
    for k in ["a", "b", "c"]:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    r = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "never-was"}]}
    )
    assert sorted(d["Key"] for d in r["Deleted"]) == ["a", "b", "never-was"]
    assert "Errors" not in r
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["c"]


# ---- listing ----


def test_pagination(s3, bucket):
    keys = sorted(f"k{i:03d}" for i in range(25))
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    # by hand, token by token
    seen, token, pages = [], None, 0
    while True:
        kw = {"Bucket": bucket, "MaxKeys": 7}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(**kw)
        pages += 1
        assert r["KeyCount"] == len(r.get("Contents", []))
        assert r["KeyCount"] <= 7
        seen += [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            assert "NextContinuationToken" not in r
            break
        token = r["NextContinuationToken"]
    assert seen == keys
    assert pages == 4
    # the paginator
    got = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 10}
    ):
        got += [o["Key"] for o in page.get("Contents", [])]
    assert got == keys
    # StartAfter
    r = s3.list_objects_v2(Bucket=bucket, StartAfter="k019")
    assert [o["Key"] for o in r["Contents"]] == keys[20:]
    # V1 with Marker
    r = s3.list_objects(Bucket=bucket, Marker="k010", MaxKeys=5)
    assert [o["Key"] for o in r["Contents"]] == keys[11:16]
    assert r["IsTruncated"]


def test_delimiter(s3, bucket):
    for k in ["a/1", "a/2", "a/sub/3", "b/1", "c", "d e/f"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b".")
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/", "d e/"]
    assert [o["Key"] for o in r["Contents"]] == ["c"]
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/", Prefix="a/")
    assert [o["Key"] for o in r["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/sub/"]
    # max-keys counts objects and prefixes together
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert r["KeyCount"] == 2 and r["IsTruncated"]
    r2 = s3.list_objects_v2(
        Bucket=bucket, Delimiter="/", MaxKeys=2, ContinuationToken=r["NextContinuationToken"]
    )
    names = [p["Prefix"] for p in r.get("CommonPrefixes", []) + r2.get("CommonPrefixes", [])]
    names += [o["Key"] for o in r.get("Contents", []) + r2.get("Contents", [])]
    assert sorted(names) == ["a/", "b/", "c", "d e/"]


# ---- range ----


def test_range(s3, bucket):
    data = bytes(range(256)) * 4
    s3.put_object(Bucket=bucket, Key="r", Body=data)

    def get(rng):
        r = s3.get_object(Bucket=bucket, Key="r", Range=rng)
        return r, r["Body"].read()

    r, b = get("bytes=0-9")
    assert b == data[:10]
    assert r["ContentRange"] == "bytes 0-9/1024"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    _, b = get("bytes=1000-")
    assert b == data[1000:]
    _, b = get("bytes=-16")
    assert b == data[-16:]
    _, b = get("bytes=1020-5000")
    assert b == data[1020:]
    with pytest.raises(ClientError) as e:
        get("bytes=2000-2100")
    assert code(e) == "InvalidRange"
    assert status(e) == 416


# ---- copy ----


def test_copy(s3, bucket):
    s3.put_object(
        Bucket=bucket, Key="src", Body=b"copy me", ContentType="text/x-src", Metadata={"k": "v"}
    )
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert r["CopyObjectResult"]["ETag"]
    h = s3.head_object(Bucket=bucket, Key="dst")
    assert h["ContentType"] == "text/x-src"
    assert h["Metadata"] == {"k": "v"}
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"copy me"
    # REPLACE: new metadata, same bytes
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        ContentType="text/x-new",
        Metadata={"n": "1"},
    )
    h = s3.head_object(Bucket=bucket, Key="dst2")
    assert h["ContentType"] == "text/x-new"
    assert h["Metadata"] == {"n": "1"}
    assert s3.get_object(Bucket=bucket, Key="dst2")["Body"].read() == b"copy me"
    # across buckets, and a missing source
    other = "o-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=other)
    try:
        s3.copy_object(Bucket=other, Key="x", CopySource={"Bucket": bucket, "Key": "src"})
        assert s3.get_object(Bucket=other, Key="x")["Body"].read() == b"copy me"
        s3.delete_object(Bucket=other, Key="x")
    finally:
        s3.delete_bucket(Bucket=other)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="y", CopySource={"Bucket": bucket, "Key": "missing"})
    assert code(e) == "NoSuchKey"
    # copy-source-if-match
    with pytest.raises(ClientError) as e:
        s3.copy_object(
            Bucket=bucket, Key="z", CopySource={"Bucket": bucket, "Key": "src"}, CopySourceIfMatch='"nope"'
        )
    assert code(e) == "PreconditionFailed"


# ---- multipart ----


def test_multipart_transfer_72mib(s3, bucket):
    """boto3's managed transfer: 9 parts of 8 MiB, sent concurrently."""
    data = os.urandom(72 * MiB)
    cfg = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4)
    s3.upload_fileobj(io.BytesIO(data), bucket, "big.bin", Config=cfg, ExtraArgs={"ContentType": "application/x-big"})
    h = s3.head_object(Bucket=bucket, Key="big.bin")
    assert h["ContentLength"] == len(data)
    assert h["ContentType"] == "application/x-big"
    out = io.BytesIO()
    s3.download_fileobj(bucket, "big.bin", out, Config=cfg)  # ranged GETs, concurrently
    assert hashlib.sha256(out.getvalue()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_multipart_by_hand(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="m", Metadata={"parts": "3"})
    uid = up["UploadId"]
    parts_data = [b"a" * (5 * MiB), b"b" * (5 * MiB), b"tail"]
    etags = []
    # out of order on purpose
    for n in [2, 1, 3]:
        r = s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=n, Body=parts_data[n - 1])
        etags.append((n, r["ETag"]))
    assert r["ETag"].strip('"') == hashlib.md5(b"tail").hexdigest()
    listed = s3.list_parts(Bucket=bucket, Key="m", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, 5 * MiB), (2, 5 * MiB), (3, 4)]
    ups = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in ups] == [uid]
    # not visible before completion
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="m")
    assert status(e) == 404
    # a wrong ETag is refused
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="m", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"bad"'}]},
        )
    assert code(e) == "InvalidPart"
    done = sorted(etags)
    s3.complete_multipart_upload(
        Bucket=bucket, Key="m", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": t} for n, t in done]},
    )
    g = s3.get_object(Bucket=bucket, Key="m")
    assert g["Body"].read() == b"".join(parts_data)
    assert g["Metadata"] == {"parts": "3"}
    # each part stays addressable: GET/HEAD ?partNumber=
    h = s3.head_object(Bucket=bucket, Key="m", PartNumber=2)
    assert (h["PartsCount"], h["ContentLength"]) == (3, 5 * MiB)
    g = s3.get_object(Bucket=bucket, Key="m", PartNumber=3)
    assert (g["PartsCount"], g["Body"].read()) == (3, b"tail")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="m", PartNumber=4)
    assert code(e) == "InvalidPart"
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="m", UploadId=uid)
    assert code(e) == "NoSuchUpload"


def test_multipart_abort(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="gone", UploadId=uid, PartNumber=1, Body=b"x" * 1000)
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=uid)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="gone", UploadId=uid, PartNumber=2, Body=b"y")
    assert code(e) == "NoSuchUpload"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="gone")
    assert status(e) == 404


def _md5_b64(data):
    import base64
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_content_md5_is_checked(s3, bucket):
    body = b"checked body " * 1000
    # the right digest stores
    s3.put_object(Bucket=bucket, Key="md5-ok", Body=body, ContentMD5=_md5_b64(body))
    assert s3.get_object(Bucket=bucket, Key="md5-ok")["Body"].read() == body
    # a wrong one is BadDigest, and nothing is stored: no new object, no overwrite
    for key in ["md5-new", "md5-ok"]:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key=key, Body=b"other bytes", ContentMD5=_md5_b64(b"x"))
        assert code(e) == "BadDigest"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="md5-new")
    assert status(e) == 404
    assert s3.get_object(Bucket=bucket, Key="md5-ok")["Body"].read() == body
    # a digest that is not base64 of 16 bytes is InvalidDigest
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5-bad", Body=body, ContentMD5="bm90IGFuIG1kNQ==")
    assert code(e) == "InvalidDigest"
    # a part with a wrong digest is refused and not listed
    uid = s3.create_multipart_upload(Bucket=bucket, Key="md5-m")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="md5-m", UploadId=uid, PartNumber=1,
                       Body=b"part", ContentMD5=_md5_b64(b"not the part"))
    assert code(e) == "BadDigest"
    assert s3.list_parts(Bucket=bucket, Key="md5-m", UploadId=uid).get("Parts", []) == []
    s3.upload_part(Bucket=bucket, Key="md5-m", UploadId=uid, PartNumber=1,
                   Body=b"part", ContentMD5=_md5_b64(b"part"))
    s3.abort_multipart_upload(Bucket=bucket, Key="md5-m", UploadId=uid)


def test_if_match_put_of_a_missing_key_is_no_such_key(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="never-there", Body=b"x", IfMatch='"0123"')
    assert code(e) == "NoSuchKey" and status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="never-there")
    assert status(e) == 404
    # an existing key with another ETag is still 412
    s3.put_object(Bucket=bucket, Key="there", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="there", Body=b"y", IfMatch='"0123"')
    assert status(e) == 412
    assert s3.get_object(Bucket=bucket, Key="there")["Body"].read() == b"x"


def test_object_versions_of_a_bucket_without_versioning(s3, bucket):
    for k in ["a", "b/c", "d"]:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    r = s3.list_object_versions(Bucket=bucket)
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in r["Versions"]] == [
        ("a", "null", True), ("b/c", "null", True), ("d", "null", True)]
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") is None
    # paged by key marker
    r = s3.list_object_versions(Bucket=bucket, MaxKeys=2)
    assert r["IsTruncated"] and r["NextKeyMarker"] == "b/c"
    r = s3.list_object_versions(Bucket=bucket, KeyMarker=r["NextKeyMarker"],
                                VersionIdMarker=r["NextVersionIdMarker"])
    assert [v["Key"] for v in r["Versions"]] == ["d"]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert code(e) == "NotImplemented"
    # boto3's bucket emptying, as cleanup tools do it: versions, then delete with VersionId=null
    boto3.resource("s3", endpoint_url=s3.meta.endpoint_url,
                   aws_access_key_id=_env("TROVE_GATEWAY_ACCESS_KEY"),
                   aws_secret_access_key=_env("TROVE_GATEWAY_SECRET_KEY"),
                   region_name="us-east-1").Bucket(bucket).object_versions.delete()
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_upload_part_copy_with_ranges(s3, bucket):
    src = os.urandom(11 * MiB)
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    parts = []
    for n, (a, b) in enumerate([(0, 5 * MiB - 1), (5 * MiB, 10 * MiB - 1), (10 * MiB, len(src) - 1)], 1):
        r = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=n,
                                CopySource={"Bucket": bucket, "Key": "src"},
                                CopySourceRange=f"bytes={a}-{b}")
        assert r["CopyPartResult"]["ETag"].strip('"') == hashlib.md5(src[a:b + 1]).hexdigest()
        parts.append({"PartNumber": n, "ETag": r["CopyPartResult"]["ETag"]})
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=9,
                            CopySource={"Bucket": bucket, "Key": "src"},
                            CopySourceRange=f"bytes=0-{len(src)}")
    assert code(e) == "InvalidRange"
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=9,
                            CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange="bytes=0-")
    assert code(e) == "InvalidArgument"
    done = s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=uid,
                                        MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == src
    # a completion retried after success is answered again, with the same ETag
    again = s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=uid,
                                         MultipartUpload={"Parts": parts})
    assert again["ETag"] == done["ETag"]
    # boto3's managed copy of a large object uses UploadPartCopy
    s3.copy({"Bucket": bucket, "Key": "src"}, bucket, "managed",
            Config=TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    assert s3.get_object(Bucket=bucket, Key="managed")["Body"].read() == src


def test_small_parts_but_the_last_are_refused(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    tags = [s3.upload_part(Bucket=bucket, Key="small", UploadId=uid, PartNumber=n, Body=b"x" * 100)["ETag"]
            for n in (1, 2)]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": t} for n, t in zip((1, 2), tags)]})
    assert code(e) == "EntityTooSmall"


def test_unsupported_features_are_refused_and_nothing_is_stored(s3, bucket):
    sse_c = {"SSECustomerAlgorithm": "AES256",
             "SSECustomerKey": "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=",
             "SSECustomerKeyMD5": "DWygnHRtgiJ77HCm+1rvHw=="}
    cases = [sse_c, {"ServerSideEncryption": "AES256"}, {"ACL": "public-read"},
             {"Tagging": "a=b"}, {"StorageClass": "GLACIER"}]
    for extra in cases:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="refused", Body=b"secret", **extra)
        assert status(e) in (400, 501), extra
        with pytest.raises(ClientError) as e:
            s3.head_object(Bucket=bucket, Key="refused")
        assert status(e) == 404
    s3.put_object(Bucket=bucket, Key="ok", Body=b"x", ACL="private", StorageClass="STANDARD")


def test_list_v1_paging_over_prefixes_advances(s3, bucket):
    for k in ["a/1", "a/2", "b", "c/1", "d"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    seen, marker = [], ""
    for _ in range(10):
        r = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=1, Marker=marker)
        seen += [o["Key"] for o in r.get("Contents", [])] + [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        if not r["IsTruncated"]:
            break
        marker = r["NextMarker"]
    assert seen == ["a/", "b", "c/", "d"]
    r = s3.list_objects(Bucket=bucket, MaxKeys=0)
    assert r["MaxKeys"] == 0 and "Contents" not in r and not r["IsTruncated"]


def test_delete_objects_takes_at_most_1000_keys(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]})
    assert code(e) == "MalformedXML"


def test_an_unread_body_does_not_block_other_clients(s3, bucket):
    # On a stateful driver (mem) a body being read held its one instance:
    # one client that stops reading froze every other. Not any more.
    big = os.urandom(12 * MiB)  # over the in-memory limit: detached through the spool
    s3.put_object(Bucket=bucket, Key="big", Body=big)
    stalled = [s3.get_object(Bucket=bucket, Key="big")["Body"] for _ in range(3)]
    other = _client(read_timeout=5)
    t0 = time.monotonic()
    other.put_object(Bucket=bucket, Key="small", Body=b"s")
    assert other.get_object(Bucket=bucket, Key="small")["Body"].read() == b"s"
    assert other.list_objects_v2(Bucket=bucket)["KeyCount"] == 2
    assert time.monotonic() - t0 < 5
    assert stalled[0].read() == big
    for b in stalled:
        b.close()


def test_list_buckets_prefix_and_pages(s3):
    tag = uuid.uuid4().hex[:8]
    names = [f"lb-{tag}-{i}" for i in range(3)]
    for n in names:
        s3.create_bucket(Bucket=n)
    try:
        got, token = [], None
        while True:
            kw = {"MaxBuckets": 1, "Prefix": f"lb-{tag}-"}
            if token:
                kw["ContinuationToken"] = token
            r = s3.list_buckets(**kw)
            got += [b["Name"] for b in r["Buckets"]]
            token = r.get("ContinuationToken")
            if not token:
                break
        assert got == names
    finally:
        for n in names:
            s3.delete_bucket(Bucket=n)


def test_versioning_suspended_is_accepted(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


def test_not_modified_carries_etag_and_last_modified(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    assert status(e) == 304
    h = e.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert h["etag"] == etag and "last-modified" in h
    # a whole object is its one part
    g = s3.get_object(Bucket=bucket, Key="k", PartNumber=1)
    assert (g["PartsCount"], g["Body"].read()) == (1, b"x")


def test_conditional_deletes(s3, bucket):
    r = s3.put_object(Bucket=bucket, Key="k", Body=b"abc")
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key="k", IfMatch='"other"')
    assert code(e) == "PreconditionFailed"
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k", "Size": 9}]})
    assert out["Errors"][0]["Code"] == "PreconditionFailed"
    assert s3.head_object(Bucket=bucket, Key="k")["ContentLength"] == 3
    s3.delete_object(Bucket=bucket, Key="k", IfMatch=r["ETag"])
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k")
    assert status(e) == 404
    # a delete of nothing succeeds whatever its conditions
    s3.delete_object(Bucket=bucket, Key="k", IfMatch='"other"')


def test_fetch_owner_and_request_ids(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"")
    r = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)
    assert r["Contents"][0]["Owner"]["ID"]
    assert "Owner" not in s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="missing")
    meta = e.value.response["ResponseMetadata"]
    # the id of the header is the one in the error's XML
    assert meta["RequestId"] and meta["RequestId"] == meta["HTTPHeaders"]["x-amz-request-id"]
    assert e.value.response["Error"]["Code"] == "NoSuchKey"


def test_more_unsupported_features_are_refused(s3, bucket):
    cases = [{"GrantRead": 'id="someone"'},
             {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "key"},
             {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": "2030-01-01T00:00:00Z"},
             {"WebsiteRedirectLocation": "/elsewhere"}]
    for extra in cases:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="refused", Body=b"x", **extra)
        assert status(e) == 501, extra
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="plain", SSECustomerAlgorithm="AES256",
                      SSECustomerKey="pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=")
    assert status(e) == 501
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="refused", ServerSideEncryption="AES256")
    assert status(e) == 501


def test_a_chunked_put_without_length_is_taken(s3, bucket):
    import http.client
    from urllib.parse import urlparse
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = f"{s3.meta.endpoint_url}/{bucket}/chunked"
    parts = [b"a" * 1000, b"b" * 70000, b"c"]
    # signed over the whole body (its SHA-256 is checked as it streams), sent chunked
    req = AWSRequest(method="PUT", url=url, data=b"".join(parts))
    S3SigV4Auth(Credentials(_env("TROVE_GATEWAY_ACCESS_KEY"), _env("TROVE_GATEWAY_SECRET_KEY")),
                "s3", "us-east-1").add_auth(req)
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {k: v for k, v in req.headers.items() if k.lower() != "content-length"}
    conn.request("PUT", u.path, body=iter(parts), headers=headers, encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"".join(parts)


def test_standard_object_headers_are_kept(s3, bucket):
    import datetime
    expires = datetime.datetime(2033, 12, 1, 16, 0, 0, tzinfo=datetime.timezone.utc)
    headers = dict(
        CacheControl="public, max-age=14400",
        ContentDisposition='attachment; filename="notes.txt"',
        ContentEncoding="gzip",
        ContentLanguage="en-GB",
    )
    import gzip
    body = gzip.compress(b"notes\n", mtime=0)
    s3.put_object(Bucket=bucket, Key="h", Body=body, Expires=expires, **headers)

    def kept(r):
        assert {k: r.get(k) for k in headers} == headers
        assert r["Expires"] == expires
        assert "cache-control" not in r["Metadata"]

    kept(s3.head_object(Bucket=bucket, Key="h"))
    g = s3.get_object(Bucket=bucket, Key="h")
    kept(g)
    assert g["Body"].read() == body  # served as stored, not decoded
    # response-* parameters override for one answer
    g = s3.get_object(Bucket=bucket, Key="h", ResponseCacheControl="no-store",
                      ResponseContentDisposition="inline")
    assert (g["CacheControl"], g["ContentDisposition"]) == ("no-store", "inline")
    # COPY keeps them, REPLACE sets new ones
    s3.copy_object(Bucket=bucket, Key="h2", CopySource={"Bucket": bucket, "Key": "h"})
    kept(s3.head_object(Bucket=bucket, Key="h2"))
    s3.copy_object(Bucket=bucket, Key="h3", CopySource={"Bucket": bucket, "Key": "h"},
                   MetadataDirective="REPLACE", CacheControl="no-cache")
    h = s3.head_object(Bucket=bucket, Key="h3")
    assert h["CacheControl"] == "no-cache" and "ContentEncoding" not in h
    # a multipart upload keeps what its creation gave
    uid = s3.create_multipart_upload(Bucket=bucket, Key="m", Expires=expires, **headers)["UploadId"]
    r = s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=body)
    s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"]}]})
    kept(s3.head_object(Bucket=bucket, Key="m"))
    # aws-chunked frames a request body; it is not stored as the object's encoding
    s3.put_object(Bucket=bucket, Key="c", Body=b"x", ContentEncoding="aws-chunked, gzip")
    assert s3.head_object(Bucket=bucket, Key="c")["ContentEncoding"] == "gzip"
