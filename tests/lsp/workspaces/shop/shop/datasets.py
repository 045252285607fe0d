from glacier import Dataset
from glacier.storage import S3

raw_orders = Dataset("raw_orders")
clean_orders = Dataset("clean_orders", storage=S3(bucket="shop", prefix="clean/"), schema="OrderSchema")
report = Dataset("report")
