"""kiln.data: datasets, samplers and the DataLoader (MegEngine's megengine.data)."""
from . import datasets
from .collator import default_collate
from .dataloader import DataLoader
from .dataset import ArrayDataset, Dataset
from .sampler import RandomSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "ArrayDataset", "Sampler", "SequentialSampler", "RandomSampler", "DataLoader",
           "default_collate", "datasets"]
