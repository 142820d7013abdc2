{ name ? "default" }: name
