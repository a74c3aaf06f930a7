"""Translates a SAM template into the plain CloudFormation JSON that would really deploy, offline.

Run it with the project's pinned tools: `.tools/py/bin/python infra/translate.py infra/template.yaml`.
It prints the translated template on stdout. Two callers:
  * scripts/test lints the output with cfn-lint, because cfn-lint 1.58 does not look inside
    AWS::Serverless::Function (see the shared note aws-local.md);
  * the infra tests in tests/e2e read the output as JSON: the EventBridge rules and IAM
    policies they check are those of the template CloudFormation would receive.

The SAM translator wants an S3 CodeUri and a managed-policy map from IAM; both are faked here
(nothing is uploaded and the template attaches no managed policy), so no AWS call is made.
"""

import json
import os
import sys

import boto3
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.public.translator import ManagedPolicyLoader
from samtranslator.sdk.parameter import SamParameterValues
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# moto's and the tests' region and account: the translated ARNs then look like the ones moto makes.
REGION = "us-east-1"
ACCOUNT = "123456789012"


class NoManagedPolicies(ManagedPolicyLoader):
    """The translator asks IAM for managed policy ARNs; the template uses none, so answer empty."""

    def __init__(self):  # noqa: D107 (no IAM client wanted)
        pass

    def load(self):
        return {}


def fake_code_uris(template):
    """A local CodeUri is only valid for `sam build`; the translator needs an S3 location."""
    functions = [
        r.get("Properties", {})
        for r in template.get("Resources", {}).values()
        if r.get("Type") == "AWS::Serverless::Function"
    ]
    functions.append(template.get("Globals", {}).get("Function", {}))
    for props in functions:
        if isinstance(props.get("CodeUri"), str) and not props["CodeUri"].startswith("s3://"):
            props["CodeUri"] = "s3://grkeeper-offline-check/code.zip"


def main(argv):
    if len(argv) != 2:
        print("usage: translate.py TEMPLATE.yaml > translated.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    fake_code_uris(template)

    # The translator makes its own boto3 session for the Region; no credentials are used.
    os.environ["AWS_DEFAULT_REGION"] = REGION
    values = SamParameterValues({"AWS::AccountId": ACCOUNT})
    values.add_default_parameter_values(template)
    values.add_pseudo_parameter_values(boto3.session.Session(region_name=REGION))
    try:
        translated = transform(template, values.parameter_values, NoManagedPolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"translate.py: {cause.message}", file=sys.stderr)
        return 1
    json.dump(translated, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
