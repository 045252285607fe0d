"""The design document's complete example, with its helper functions written out.

Run it: ``glacier run examples/analytics/pipeline.py``. Check it without running it:
``glacier check examples/analytics``. Draw it: ``glacier-graph examples/analytics > dag.svg``.
"""

from glacier import Dataset, LocalExecutor, Pipeline, compute, task


# The user's own helpers (the design document leaves them to the reader).
def fetch_users_from_api() -> list[dict[str, object]]:
    return [{"id": 1, "name": " Ada "}, {"id": 2, "name": "Grace"}, {"id": 2, "name": "Grace"}]


def fetch_orders_from_db() -> list[dict[str, object]]:
    return [{"user_id": 1, "amount": 30.0}, {"user_id": 2, "amount": 12.5}, {"user_id": 1, "amount": 7.5}]


def clean(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    unique = {tuple(sorted(row.items())): row for row in rows}
    return [{k: v.strip() if isinstance(v, str) else v for k, v in row.items()} for row in unique.values()]


def join(users: list[dict[str, object]], orders: list[dict[str, object]]) -> list[dict[str, object]]:
    names = {user["id"]: user["name"] for user in users}
    return [{**order, "name": names.get(order["user_id"])} for order in orders]


def calculate(rows: list[dict[str, object]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for row in rows:
        totals[str(row["name"])] = totals.get(str(row["name"]), 0.0) + float(row["amount"])  # type: ignore[arg-type]
    return totals


# 1. Declare datasets
raw_users = Dataset("raw_users")
raw_orders = Dataset("raw_orders")
clean_users = Dataset("clean_users")
clean_orders = Dataset("clean_orders")
merged = Dataset("merged")
metrics = Dataset("metrics")


# 2. Define tasks
@task(compute=compute.serverless(memory=512))
def extract_users() -> raw_users:
    return fetch_users_from_api()


@task(compute=compute.serverless(memory=512))
def extract_orders() -> raw_orders:
    return fetch_orders_from_db()


@task(compute=compute.local())
def clean_users(users: raw_users) -> clean_users:
    return clean(users)


@task(compute=compute.local())
def clean_orders(orders: raw_orders) -> clean_orders:
    return clean(orders)


@task(compute=compute.container(image="spark:latest", cpu=4, memory=8192))
def merge_data(users: clean_users, orders: clean_orders) -> merged:
    return join(users, orders)


@task(compute=compute.container(image="analytics:latest", cpu=8))
def compute_metrics(data: merged) -> metrics:
    return calculate(data)


# 3. Create pipeline - DAG inferred automatically!
pipeline = Pipeline(
    tasks=[
        extract_users, extract_orders,
        clean_users, clean_orders,
        merge_data, compute_metrics
    ],
    name="analytics"
)

# 4. Validate
pipeline.validate()

# 5. Run or compile
pipeline.run(executor=LocalExecutor())
# pipeline.compile(target=AWSTarget()).to_terraform("./infra")
