"""The hand-written pipeline people use for dominant colours, as a speed reference:
Pillow decode -> colour-science sRGB -> CIELAB -> scikit-learn KMeans (k = 6) on every pixel.

usage: py_pipeline.py PHOTO [K]
"""
import sys

import colour
import numpy as np
from PIL import Image
from sklearn.cluster import KMeans

path = sys.argv[1]
k = int(sys.argv[2]) if len(sys.argv) > 2 else 6
rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
lab = colour.XYZ_to_Lab(colour.sRGB_to_XYZ(rgb.reshape(-1, 3)))
km = KMeans(n_clusters=k, n_init=1, random_state=0).fit(lab)
counts = np.bincount(km.labels_, minlength=k)
for c, n in sorted(zip(km.cluster_centers_.tolist(), counts.tolist()), key=lambda x: -x[1]):
    print(f"L*{c[0]:.1f} a*{c[1]:.1f} b*{c[2]:.1f} {100 * n / counts.sum():.1f} %")
