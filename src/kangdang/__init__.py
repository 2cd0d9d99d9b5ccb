"""kangdang (康档): a regional platform for urban and rural residents' health records (城乡居民健康档案)."""

__version__ = "0.1.0"
