"""The AWS target: Terraform JSON for Lambda, ECS Fargate, Step Functions, S3, ECR and IAM."""

from glacier.targets.aws.target import AWSOptions, AWSTarget

__all__ = ["AWSOptions", "AWSTarget"]
