// The marshalling planner: checked interface → message plans (Mach and native L4 layouts).
