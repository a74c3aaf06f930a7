"""The Python baseline of the benchmarks (docs/benchmarks.md): grkeeper's sweep job as one would
write it in Python for Lambda, with boto3 and PyMySQL (pinned in scripts/requirements-baseline.txt,
installed by `scripts/setup baseline`), run against the same Lambda Runtime API stand-in, moto and
simulated members as the Rust function, and measured the same way.

Initialization, as the Rust function's: read the configuration, build the AWS clients the
function uses, read the members' secret. Each invocation: list the MySQL instances, group them
by the cluster tag, and probe every member (connect, and the statements grkeeper reads) one
cluster at a time, members concurrently; answer with how many members answered. It plans and
acts on nothing, so it does less than grkeeper does: the comparison flatters Python.
"""

import json
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
import pymysql

STATEMENTS = [
    "SELECT @@server_uuid, @@hostname, @@port, @@version, @@read_only, @@super_read_only, "
    "@@offline_mode, @@gtid_executed, @@gtid_purged, @@group_replication_group_name",
    "SELECT MEMBER_ID, MEMBER_HOST, MEMBER_PORT, MEMBER_STATE, MEMBER_ROLE, MEMBER_VERSION "
    "FROM performance_schema.replication_group_members",
    "SELECT MEMBER_ID, VIEW_ID, COUNT_TRANSACTIONS_IN_QUEUE "
    "FROM performance_schema.replication_group_member_stats",
    "SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'",
]

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
TAG = os.environ["GRKEEPER_CLUSTER_TAG"]
OVERRIDES = dict(
    item.split("=", 1) for item in os.environ["GRKEEPER_ENDPOINT_OVERRIDES"].split(",") if item
)
rds = boto3.client("rds")
sns = boto3.client("sns")
dynamodb = boto3.client("dynamodb")
events = boto3.client("events")
secret = json.loads(
    boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["GRKEEPER_SECRET_ARN"])[
        "SecretString"
    ]
)


def probe(instance):
    host, port = OVERRIDES[instance].rsplit(":", 1)
    conn = pymysql.connect(
        host=host,
        port=int(port),
        user=secret["username"],
        password=secret["password"],
        connect_timeout=1,
    )
    try:
        with conn.cursor() as cursor:
            for statement in STATEMENTS:
                cursor.execute(statement)
                cursor.fetchall()
    finally:
        conn.close()
    return instance


def sweep():
    clusters = {}
    for page in rds.get_paginator("describe_db_instances").paginate():
        for instance in page["DBInstances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("TagList", [])}
            if instance["Engine"] == "mysql" and TAG in tags:
                clusters.setdefault(tags[TAG], []).append(instance["DBInstanceIdentifier"])
    answered = 0
    with ThreadPoolExecutor(max_workers=9) as pool:
        for members in clusters.values():
            answered += len(list(pool.map(probe, members)))
    return {"clusters": len(clusters), "members": answered}


def main():
    while True:
        with urllib.request.urlopen(API + "/invocation/next") as response:
            request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
            response.read()
        try:
            body, outcome = json.dumps(sweep()).encode(), "response"
        except Exception as error:  # reported to the runtime as Lambda's Python runtime would
            body, outcome = json.dumps({"errorMessage": repr(error)}).encode(), "error"
        urllib.request.urlopen(
            urllib.request.Request(f"{API}/invocation/{request_id}/{outcome}", data=body)
        ).read()


main()
