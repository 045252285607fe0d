from glacier import task

from shop.datasets import clean_orders, raw_orders, report


@task
def clean(orders: raw_orders) -> clean_orders:
    return orders


@task
def summarize(orders: clean_ordrs) -> report:
    return orders


@task
def audit(orders: clean_orders) -> None:
    return None
