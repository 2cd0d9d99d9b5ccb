"""The demo county: 浙江省湖州市德清县 (330521) with its real division codes, institutions, staff, accounts."""
