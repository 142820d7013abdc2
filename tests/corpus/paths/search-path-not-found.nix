<nonexistent-thing>
