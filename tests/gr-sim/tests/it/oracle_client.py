"""Runs SQL against a gr-sim member with Oracle's mysql-connector-python (pure Python).

Reads a JSON plan on stdin: {"host", "port", "user", "password", "statements": [...]}.
Prints one JSON document: {"connect_error": {...}} when the connection fails, otherwise
{"results": [...]} with, per statement, every result set (columns and rows) or the error.
"""

import datetime
import json
import sys

import mysql.connector


def error(e):
    return {"errno": e.errno, "sqlstate": e.sqlstate, "msg": e.msg}


def plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode()
    return value


def main():
    plan = json.load(sys.stdin)
    try:
        conn = mysql.connector.connect(
            host=plan["host"],
            port=plan["port"],
            user=plan["user"],
            password=plan["password"],
            use_pure=True,
            autocommit=True,
            connection_timeout=5,
        )
    except mysql.connector.Error as e:
        print(json.dumps({"connect_error": error(e)}))
        return
    results = []
    for sql in plan["statements"]:
        cursor = conn.cursor()
        sets = []
        try:
            cursor.execute(sql)
            while True:
                if cursor.with_rows:
                    rows = [[plain(v) for v in row] for row in cursor.fetchall()]
                    sets.append({"columns": list(cursor.column_names), "rows": rows})
                else:
                    sets.append({"affected": cursor.rowcount})
                if not cursor.nextset():
                    break
            results.append({"sets": sets})
        except mysql.connector.Error as e:
            results.append({"error": error(e)})
        finally:
            cursor.close()
    conn.close()
    print(json.dumps({"results": results}))


main()
