from glacier import Pipeline

from shop.tasks import clean, summarize

pipeline = Pipeline([clean, summarize], name="shop")
