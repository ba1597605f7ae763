"""The case file (电子卷宗): what was submitted at each step of a case, kept as submitted."""
