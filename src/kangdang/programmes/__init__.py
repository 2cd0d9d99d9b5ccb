"""Key-population programmes (重点人群健康管理): episodes, the national visit schedules and worklists.

Importing the package subscribes its form listener (``programmes.hooks``), so that signing, amending or
withdrawing a programme form re-plans the resident's tasks.
"""

from kangdang.programmes import hooks as hooks
