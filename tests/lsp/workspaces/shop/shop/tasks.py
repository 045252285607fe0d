from glacier import compute, task

from shop.datasets import clean_orders, raw_orders, report


@task(compute=compute.serverless(memory=512))
def extract_orders() -> raw_orders:
    return []


@task
def clean(orders: raw_orders) -> clean_orders:
    return orders


@task(compute=compute.container(image="spark:latest", cpu=4))
def summarize(orders: clean_orders) -> report:
    return orders
