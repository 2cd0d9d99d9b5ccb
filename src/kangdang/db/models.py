"""Import every domain's models so that ``Base.metadata`` is complete (migrations, ``db check``)."""

from kangdang.access import models as access_models
from kangdang.db.base import Base
from kangdang.indicators import models as indicator_models
from kangdang.indicators import models_appraisal as appraisal_models
from kangdang.indicators import models_supervision as supervision_models
from kangdang.institutions import models as institution_models
from kangdang.institutions import models_training as training_models
from kangdang.programmes import models as programme_models
from kangdang.records import models as record_models
from kangdang.regions import models as region_models
from kangdang.residents import models as resident_models
from kangdang.residents import models_access as resident_access_models

__all__ = [
    "Base",
    "access_models",
    "appraisal_models",
    "indicator_models",
    "institution_models",
    "programme_models",
    "record_models",
    "region_models",
    "resident_access_models",
    "resident_models",
    "supervision_models",
    "training_models",
]
