import sys
from pathlib import Path

# op_db.py is shared by the core test modules (importlib import mode adds no paths)
sys.path.insert(0, str(Path(__file__).parent))
