"""Prepare a freshly started moto server (scripts/live/s3.sh) the way a UC metastore bucket
looks to a reader, and print the shell variables the Rust tests read.

Usage: s3_setup.py ENDPOINT BUCKET PREFIX FILES_DIR

The server checks signatures after its first three actions (INITIAL_NO_AUTH_ACTION_COUNT=3):
those create an admin IAM user, its allow-all policy and its access key. Everything else is
signed with that key: a role that may only read the bucket, the bucket and the version's files,
and sts:AssumeRole on the role, whose temporary credentials (ASIA key, secret, session token)
stand for what Unity Catalog's generate-temporary-credentials returns.
"""

import json
import shlex
import sys

import boto3

ACCOUNT = "123456789012"  # moto's default account


def main() -> None:
    endpoint, bucket, prefix, files_dir = sys.argv[1:5]

    def client(service, key="AKIAIOSFODNN7EXAMPLE", secret="unchecked", token=None):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
        )

    # The three unchecked actions.
    iam = client("iam")
    iam.create_user(UserName="mlgate-admin")
    iam.put_user_policy(
        UserName="mlgate-admin",
        PolicyName="all",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    key = iam.create_access_key(UserName="mlgate-admin")["AccessKey"]
    admin = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}

    # From here on every request is checked.
    iam = client("iam", **admin)
    iam.create_role(
        RoleName="uc-reader",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/mlgate-admin"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    iam.put_role_policy(
        RoleName="uc-reader",
        PolicyName="read-bucket",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    }
                ],
            }
        ),
    )
    s3 = client("s3", **admin)
    s3.create_bucket(Bucket=bucket)
    with open(f"{files_dir}/churn-MLmodel", "rb") as f:
        s3.put_object(Bucket=bucket, Key=f"{prefix}/MLmodel", Body=f.read())
    with open(f"{files_dir}/churn-input_example.json", "rb") as f:
        s3.put_object(Bucket=bucket, Key=f"{prefix}/input_example.json", Body=f.read())
    s3.put_object(Bucket=bucket, Key=f"{prefix}/model.pkl", Body=b"pickle" * 10)
    # A neighbour whose name starts like the prefix: it must not be listed.
    s3.put_object(Bucket=bucket, Key=f"{prefix}-other/MLmodel", Body=b"not this one")

    creds = client("sts", **admin).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/uc-reader", RoleSessionName="mlgate-test"
    )["Credentials"]
    # The temporary credentials work, and a wrong session token does not.
    reader = client("s3", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    reader.head_object(Bucket=bucket, Key=f"{prefix}/MLmodel")
    try:
        client("s3", creds["AccessKeyId"], creds["SecretAccessKey"], "wrong").head_object(
            Bucket=bucket, Key=f"{prefix}/MLmodel"
        )
        sys.exit("s3_setup: moto accepted a wrong session token; signature checking is off")
    except reader.exceptions.ClientError:
        pass

    for name, value in [
        ("MLGATE_TEST_S3_URL", endpoint),
        ("MLGATE_TEST_S3_BUCKET", bucket),
        ("MLGATE_TEST_S3_ACCESS_KEY_ID", creds["AccessKeyId"]),
        ("MLGATE_TEST_S3_SECRET_ACCESS_KEY", creds["SecretAccessKey"]),
        ("MLGATE_TEST_S3_SESSION_TOKEN", creds["SessionToken"]),
    ]:
        print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
