/* placeholder: implemented by the proto work */
