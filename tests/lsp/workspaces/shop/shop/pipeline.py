from glacier import Pipeline

from shop.tasks import clean, extract_orders, summarize

pipeline = Pipeline([extract_orders, clean, summarize], name="shop")
