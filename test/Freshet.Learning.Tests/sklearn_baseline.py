"""Offline logistic regression on the same hashed examples the online model learned from.

Usage: python3 sklearn_baseline.py EXAMPLES.svm BITS TRAIN_FRACTION
Trains scikit-learn's LogisticRegression on the first TRAIN_FRACTION of the examples (in the order they were
labelled) and prints its log loss, AUC and normalized entropy on the rest as one JSON line.
"""
import json
import sys

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

path, bits, fraction = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
x, y = load_svmlight_file(path, n_features=1 << bits)
split = int(len(y) * fraction)
model = LogisticRegression(C=1.0, solver="liblinear", max_iter=1000)
model.fit(x[:split], y[:split])
p = np.clip(model.predict_proba(x[split:])[:, 1], 1e-15, 1 - 1e-15)
test = y[split:]
rate = test.mean()
entropy = -(rate * np.log(rate) + (1 - rate) * np.log(1 - rate))
loss = log_loss(test, p, labels=[0, 1])
print(json.dumps({"train": split, "test": int(len(test)), "log_loss": loss, "auc": roc_auc_score(test, p), "ne": loss / entropy}))
