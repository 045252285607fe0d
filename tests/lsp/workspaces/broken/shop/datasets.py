from glacier import Dataset

raw_orders = Dataset("raw_orders")
clean_orders = Dataset("clean_orders")
report = Dataset("report")
