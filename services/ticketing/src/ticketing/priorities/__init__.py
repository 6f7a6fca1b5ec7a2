"""The urgency x impact priority matrix (GLPI's 5x5 by default), a supervisor's setting."""
