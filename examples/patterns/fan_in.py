"""Fan-in: one task takes two inputs (design document, "Complex DAG Support")."""

from glacier import Dataset, Pipeline, task

users = Dataset("users")
orders = Dataset("orders")
merged = Dataset("merged")


def fetch_users() -> list[str]:
    return ["ada", "grace"]


def fetch_orders() -> list[tuple[str, float]]:
    return [("ada", 3.0)]


def join(user_data: list[str], order_data: list[tuple[str, float]]) -> list[tuple[str, float]]:
    return [order for order in order_data if order[0] in user_data]


@task
def extract_users() -> users:
    return fetch_users()


@task
def extract_orders() -> orders:
    return fetch_orders()


@task
def merge(user_data: users, order_data: orders) -> merged:
    """Takes TWO inputs - DAG infers both dependencies"""
    return join(user_data, order_data)


pipeline = Pipeline([extract_users, extract_orders, merge])
